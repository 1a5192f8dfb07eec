import type { ZodType } from 'zod';
import { appRouter } from './router';
import type { ProcedureMeta } from './trpc';

export interface ProcedureInfo {
  path: string;
  type: 'query' | 'mutation' | 'subscription';
  meta: ProcedureMeta | undefined;
  /** The zod schema of the input, if the procedure takes one. */
  input: ZodType | undefined;
}

interface ProcedureDef {
  _def: { type: ProcedureInfo['type']; meta?: ProcedureMeta; inputs: unknown[] };
}

/** Every procedure of the API, read from the router itself (so tests cover new procedures automatically). */
export function listProcedures(): ProcedureInfo[] {
  const procedures = appRouter._def.procedures as unknown as Record<string, ProcedureDef>;
  return Object.entries(procedures).map(([path, procedure]) => ({
    path,
    type: procedure._def.type,
    meta: procedure._def.meta,
    input: procedure._def.inputs[0] as ZodType | undefined,
  }));
}
