import { EntitySchema } from '@mikro-orm/core';
import { TENANT_FILTER } from '../db/tenant-filter';

export interface AuditEvent {
  id: string;
  tenantId: string;
  seq: number;
  actorKind: 'user' | 'api_token' | 'system';
  actorId: string | null;
  actorLabel: string;
  role: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  outcome: 'success' | 'denied' | 'failure';
  reason: string | null;
  details: Record<string, unknown>;
  requestId: string | null;
  traceId: string | null;
  occurredAt: Date;
  prevHash: string;
  hash: string;
}
export const AuditEventSchema = new EntitySchema<AuditEvent>({
  name: 'AuditEvent',
  tableName: 'audit_events',
  filters: TENANT_FILTER,
  properties: {
    id: { type: 'uuid', primary: true },
    tenantId: { type: 'uuid' },
    // bigint column; sequence numbers stay far below 2^53
    seq: { type: 'integer', columnType: 'bigint' },
    actorKind: { type: 'string' },
    actorId: { type: 'string', nullable: true },
    actorLabel: { type: 'string' },
    role: { type: 'string', nullable: true },
    action: { type: 'string' },
    resourceType: { type: 'string' },
    resourceId: { type: 'string', nullable: true },
    outcome: { type: 'string' },
    reason: { type: 'string', nullable: true },
    details: { type: 'json' },
    requestId: { type: 'string', nullable: true },
    traceId: { type: 'string', nullable: true },
    occurredAt: { type: 'Date' },
    prevHash: { type: 'string' },
    hash: { type: 'string' },
  },
});
