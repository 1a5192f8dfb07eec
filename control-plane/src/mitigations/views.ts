import type { MitigationView } from '@rc/contracts';
import type { Mitigation } from './entities';

/** A mitigation row as the API shows it (degraded modes and circuit breakers alike). */
export function toMitigationView(mitigation: Mitigation): MitigationView {
  return {
    id: mitigation.id,
    kind: mitigation.kind,
    targetId: mitigation.targetId,
    workflowId: mitigation.workflowId,
    status: mitigation.status,
    reason: mitigation.reason,
    requestedBy: mitigation.requestedBy,
    requestedByLabel: mitigation.requestedByLabel,
    traceId: mitigation.traceId,
    snapshot: mitigation.snapshot,
    startedAt: mitigation.startedAt.toISOString(),
    endsAt: mitigation.endsAt?.toISOString() ?? null,
    endedAt: mitigation.endedAt?.toISOString() ?? null,
    endReason: mitigation.endReason,
  };
}
