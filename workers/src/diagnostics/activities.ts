import { inTenantTransaction, ModuleSchema } from '@rc/control-plane';
import type { MikroORM } from '@mikro-orm/postgresql';

export interface DiagnosticsActivityDeps {
  orm: MikroORM;
}

export interface DiagnosticsActivities {
  /** How many active modules the tenant has; other tenants' rows are invisible (ORM filter + RLS). */
  countModules(tenantId: string): Promise<number>;
}

export function createDiagnosticsActivities({ orm }: DiagnosticsActivityDeps): DiagnosticsActivities {
  return {
    async countModules(tenantId) {
      return inTenantTransaction(orm, { tenantId }, (em) => em.count(ModuleSchema, { status: 'active' }));
    },
  };
}
