import { EntitySchema } from '@mikro-orm/core';
import { TENANT_FILTER } from '../db/tenant-filter';

/** One run of a level-1 mitigation (degraded mode on a module, or a circuit breaker on an integration). */
export interface Mitigation {
  id: string;
  tenantId: string;
  kind: 'degraded_mode' | 'circuit_breaker';
  /** The module (degraded mode) or the integration (circuit breaker). */
  targetId: string;
  workflowId: string;
  status: 'active' | 'ended';
  reason: string;
  requestedBy: string;
  requestedByLabel: string;
  traceId: string | null;
  /** Degraded mode: `{ features: { [key]: enabled } }` taken before anything changed. */
  snapshot: Record<string, unknown>;
  startedAt: Date;
  endsAt: Date | null;
  endedAt: Date | null;
  endReason: string | null;
}
export const MitigationSchema = new EntitySchema<Mitigation>({
  name: 'Mitigation',
  tableName: 'mitigations',
  filters: TENANT_FILTER,
  properties: {
    id: { type: 'uuid', primary: true },
    tenantId: { type: 'uuid' },
    kind: { type: 'string' },
    targetId: { type: 'uuid' },
    workflowId: { type: 'string' },
    status: { type: 'string' },
    reason: { type: 'string' },
    requestedBy: { type: 'string' },
    requestedByLabel: { type: 'string' },
    traceId: { type: 'string', nullable: true },
    snapshot: { type: 'json' },
    startedAt: { type: 'Date' },
    endsAt: { type: 'Date', nullable: true },
    endedAt: { type: 'Date', nullable: true },
    endReason: { type: 'string', nullable: true },
  },
});
