import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditEventSchema, type AuditEvent } from './entities';
import { auditEventHash, GENESIS_HASH } from './hash';

export interface AuditActor {
  kind: AuditEvent['actorKind'];
  id: string | null;
  label: string;
  role: string | null;
}

export interface AuditEntry {
  tenantId: string;
  actor: AuditActor;
  action: string;
  resourceType: string;
  resourceId?: string | null;
  outcome?: AuditEvent['outcome'];
  reason?: string | null;
  details?: Record<string, unknown>;
  requestId?: string | null;
  traceId?: string | null;
}

/**
 * Appends one event to the tenant's hash chain inside the caller's transaction, so the
 * change and its audit commit or roll back together. A transaction-scoped advisory lock
 * per tenant serialises writers, so concurrent requests cannot fork the chain;
 * unique(tenant_id, seq) is the backstop.
 */
export async function appendAuditEvent(em: EntityManager, entry: AuditEntry): Promise<AuditEvent> {
  await em.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`audit:${entry.tenantId}`]);
  const [last] = await em.execute<Array<{ seq: string; hash: string }>>(
    'select seq, hash from audit_events where tenant_id = ? order by seq desc limit 1',
    [entry.tenantId],
  );
  const fields = {
    id: randomUUID(),
    tenantId: entry.tenantId,
    seq: last ? Number(last.seq) + 1 : 1,
    actorKind: entry.actor.kind,
    actorId: entry.actor.id,
    actorLabel: entry.actor.label,
    role: entry.actor.role,
    action: entry.action,
    resourceType: entry.resourceType,
    resourceId: entry.resourceId ?? null,
    outcome: entry.outcome ?? 'success',
    reason: entry.reason ?? null,
    details: entry.details ?? {},
    requestId: entry.requestId ?? null,
    traceId: entry.traceId ?? null,
    // Millisecond precision: what JavaScript can represent is exactly what is hashed and stored.
    occurredAt: new Date(),
    prevHash: last?.hash ?? GENESIS_HASH,
  };
  const event: AuditEvent = { ...fields, hash: auditEventHash(fields) };
  await em.insert(AuditEventSchema, event);
  return event;
}
