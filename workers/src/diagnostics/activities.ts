import { inTenantTransaction } from '@rc/control-plane';
import type { MikroORM } from '@mikro-orm/postgresql';

/** The columns of `Module` (control-plane/src/modules/entities.ts) this activity filters on. */
interface ModuleStatus {
  status: 'active' | 'archived';
}

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
      return inTenantTransaction(orm, { tenantId }, (em) =>
        em.count<ModuleStatus>('Module', { status: 'active' }),
      );
    },
  };
}
