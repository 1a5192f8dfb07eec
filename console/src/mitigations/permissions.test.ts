import { listProcedures } from '@rc/control-plane/trpc/procedures';
import { describe, expect, it } from 'vitest';
import { ACTION_PERMISSIONS } from './permissions';

describe('console action buttons', () => {
  it('need exactly the permission their procedure declares on the server', () => {
    const declared = new Map(listProcedures().map((p) => [p.path, p.meta?.permission]));
    for (const [procedure, [action, subject]] of Object.entries(ACTION_PERMISSIONS)) {
      expect(declared.has(procedure), `${procedure} is not a procedure of the API`).toBe(true);
      expect(declared.get(procedure), procedure).toEqual({ action, subject });
    }
  });
});
