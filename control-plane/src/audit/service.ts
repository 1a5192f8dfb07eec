import type { AuditEventView, AuditVerifyResult, ListAuditEventsInput } from '@rc/contracts';
import type { TenantRequest } from '../trpc/context';
import { inRequestTenant } from '../db/request-tenant';
import { AuditEventSchema, type AuditEvent } from './entities';
import { verifyAuditChain, type StoredAuditRow } from './verify';

function toView(event: AuditEvent): AuditEventView {
  return { ...event, seq: Number(event.seq), occurredAt: event.occurredAt.toISOString() };
}

/** Newest first, paginated by sequence number on the server. */
export function listAuditEvents(request: TenantRequest, input: ListAuditEventsInput) {
  return inRequestTenant(request, async (em) => {
    const events = await em.find(
      AuditEventSchema,
      {
        ...(input.beforeSeq ? { seq: { $lt: input.beforeSeq } } : {}),
        ...(input.action ? { action: input.action } : {}),
        ...(input.actorId ? { actorId: input.actorId } : {}),
      },
      { orderBy: { seq: 'desc' }, limit: input.limit + 1 },
    );
    const page = events.slice(0, input.limit).map(toView);
    const hasMore = events.length > input.limit;
    return { events: page, nextBeforeSeq: hasMore ? (page.at(-1)?.seq ?? null) : null };
  });
}

/** Re-verifies the whole chain of the caller's tenant from the database. */
export function verifyTenantAuditChain(request: TenantRequest): Promise<AuditVerifyResult> {
  return inRequestTenant(request, async (em) => {
    const rows = await em.execute<StoredAuditRow[]>(
      'select * from audit_events where tenant_id = ? order by seq asc',
      [request.tenantId],
    );
    return verifyAuditChain(rows);
  });
}
