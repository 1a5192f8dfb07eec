import { z } from 'zod';
import { Text } from './common';

/** Runs a small Temporal workflow that reads the tenant's module count: proves the wiring end to end. */
export const RunDiagnosticsInput = z
  .strictObject({ echo: Text({ max: 200 }).default('ping') })
  .default({ echo: 'ping' });
export const DiagnosticsResult = z.object({
  workflowId: z.string(),
  echo: z.string(),
  moduleCount: z.number().int(),
  traceId: z.string().nullable(),
});
export type DiagnosticsResult = z.infer<typeof DiagnosticsResult>;
