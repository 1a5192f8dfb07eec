import type { EntityManager } from '@mikro-orm/postgresql';
import type { TenantRequest } from '../trpc/context';
import { appendAuditEvent, type AuditActor, type AuditEntry } from './writer';

/** The caller of a tenant request, as the audit log names it (never `system`: a request has a caller). */
export function auditActorOf(
  request: TenantRequest,
): AuditActor & Pick<TenantRequest['actor'], 'kind' | 'id' | 'label' | 'role'> {
  return {
    kind: request.actor.kind,
    id: request.actor.id,
    label: request.actor.label,
    role: request.actor.role,
  };
}

/** Audits an action taken by the caller of a tenant request, inside the caller's transaction. */
export function recordAudit(
  em: EntityManager,
  request: TenantRequest,
  entry: Omit<AuditEntry, 'tenantId' | 'actor' | 'requestId' | 'traceId'>,
) {
  return appendAuditEvent(em, {
    ...entry,
    tenantId: request.tenantId,
    actor: auditActorOf(request),
    requestId: request.requestId,
    traceId: request.traceId,
  });
}
