/** What both breaker test files read back: the audit events about one integration's breaker. */
import type { OwnerQuery } from '../mitigations/degraded-mode.test-helpers';

export interface BreakerAuditRow extends Record<string, unknown> {
  seq: string;
  action: string;
  actor_kind: string;
  actor_id: string | null;
  role: string | null;
  outcome: string;
  resource_id: string;
  reason: string | null;
  trace_id: string | null;
  details: Record<string, unknown>;
}

/** The breaker events (`breaker.*`) about one integration, in chain order. */
export function breakerAuditOf(ownerQuery: OwnerQuery, integrationId: string): Promise<BreakerAuditRow[]> {
  return ownerQuery<BreakerAuditRow>(
    `select seq, action, actor_kind, actor_id, role, outcome, resource_id, reason, trace_id, details
       from audit_events where resource_id = $1 and action like 'breaker.%' order by seq`,
    [integrationId],
  );
}
