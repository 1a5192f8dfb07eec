/**
 * What every level-1 mitigation does to its row, whichever workflow runs it (degraded mode in
 * `degraded-mode-store.ts`, circuit breakers in the worker's breaker activities): find the active
 * one, record a new one for the requester, end one. Each runs inside the caller's tenant transaction.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { MitigationRequester } from '@rc/contracts';
import { MitigationSchema, type Mitigation } from './entities';

/** The active mitigation of this kind on its target (at most one: a unique index), or null. */
export function findActiveMitigation(
  em: EntityManager,
  kind: Mitigation['kind'],
  targetId: string,
): Promise<Mitigation | null> {
  return em.findOne(MitigationSchema, { kind, targetId, status: 'active' });
}

/** A new active mitigation, started now by the requester (their request's trace id ties every step to it). */
export function newMitigation(fields: {
  id: string;
  tenantId: string;
  kind: Mitigation['kind'];
  targetId: string;
  workflowId: string;
  reason: string;
  requester: MitigationRequester;
  snapshot: Record<string, unknown>;
  startedAt: Date;
  endsAt: Date | null;
}): Mitigation {
  return {
    id: fields.id,
    tenantId: fields.tenantId,
    kind: fields.kind,
    targetId: fields.targetId,
    workflowId: fields.workflowId,
    status: 'active',
    reason: fields.reason,
    requestedBy: fields.requester.id,
    requestedByLabel: fields.requester.label,
    traceId: fields.requester.traceId,
    snapshot: fields.snapshot,
    startedAt: fields.startedAt,
    endsAt: fields.endsAt,
    endedAt: null,
    endReason: null,
  };
}

/** Marks the mitigation ended (the caller flushes, with its other changes). */
export function endMitigation(mitigation: Mitigation, reason: string, endedAt: Date): void {
  mitigation.status = 'ended';
  mitigation.endedAt = endedAt;
  mitigation.endReason = reason;
}

/**
 * Ends a mitigation left active by a workflow that no longer runs, in favour of `byMitigationId`,
 * and flushes: that frees the one-active-per-target index before the new row goes in.
 */
export async function endSupersededMitigation(
  em: EntityManager,
  orphan: Mitigation,
  byMitigationId: string,
  endedAt: Date,
): Promise<void> {
  endMitigation(
    orphan,
    `superseded by mitigation ${byMitigationId}: its workflow was no longer running`,
    endedAt,
  );
  await em.flush();
}
