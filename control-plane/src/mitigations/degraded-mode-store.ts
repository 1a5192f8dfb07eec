/**
 * The database side of degraded mode: snapshot and switch off, move the deadline, restore the
 * snapshot. Each function runs inside the caller's tenant transaction and audits in it, so a
 * change and its audit event commit together. The worker's activities call them with the
 * workflow's requester; the control plane calls `restoreDegradedModeSnapshot` itself only when
 * the workflow is gone (see `endDegradedMode`). Every function is idempotent: Temporal retries.
 */
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ExtendDegradedModeSignal, MitigationRequester } from '@rc/contracts';
import { AuditEventSchema } from '../audit/entities';
import { appendAuditEvent, type AuditActor } from '../audit/writer';
import { FeatureSchema } from '../catalog/entities';
import { loadBlastRadius } from '../catalog/service';
import { AppError, notFound } from '../errors';
import { ModuleSchema, type Module } from '../modules/entities';
import { MitigationSchema, type Mitigation } from './entities';
import { endMitigation, endSupersededMitigation, newMitigation } from './mitigation-rows';

export const DEGRADED_MODE_ACTIONS = {
  start: 'degraded_mode.start',
  extend: 'degraded_mode.extend',
  restore: 'degraded_mode.restore',
} as const;

/** What degraded mode keeps in `mitigations.snapshot`: every feature's `enabled` before it started. */
export interface DegradedModeSnapshot {
  features: Record<string, boolean>;
}

/** Which degraded mode a step is about, and who started it (their request's trace ties every step together). */
export interface DegradedModeRef {
  tenantId: string;
  moduleId: string;
  mitigationId: string;
  workflowId: string;
  requester: MitigationRequester;
}

/** Who ends a degraded mode early; `null` where one is expected means it expired. */
export interface DegradedModeEnd {
  actor: AuditActor;
  reason: string;
  requestId: string | null;
  traceId: string | null;
}

/** The actor of the steps nobody asked for at that moment (the restore when the duration elapses). */
export const DEGRADED_MODE_TIMER_ACTOR: AuditActor = {
  kind: 'system',
  id: null,
  label: 'system: degraded-mode timer',
  role: null,
};

/** The actor that puts things back when applying failed for good. */
export const DEGRADED_MODE_WORKFLOW_ACTOR: AuditActor = {
  kind: 'system',
  id: null,
  label: 'system: degraded-mode workflow',
  role: null,
};

export function requesterActor(requester: MitigationRequester): AuditActor {
  return { kind: requester.kind, id: requester.id, label: requester.label, role: requester.role };
}

export function snapshotOf(mitigation: Mitigation): DegradedModeSnapshot | null {
  const features = (mitigation.snapshot as Partial<DegradedModeSnapshot>).features;
  return features && typeof features === 'object' ? { features } : null;
}

/**
 * Locks the module's row. It serialises everything that changes the module's flags (and its one
 * active degraded mode); taken before looking for a mitigation's own row, so an overlapping
 * attempt sees the other's commit.
 */
function lockModule(em: EntityManager, ref: DegradedModeRef): Promise<Module | null> {
  return em.findOne(
    ModuleSchema,
    { id: ref.moduleId, tenantId: ref.tenantId },
    { lockMode: LockMode.PESSIMISTIC_WRITE },
  );
}

/** This degraded mode's mitigation row, as its requester asked for it. */
function degradedModeRow(
  ref: DegradedModeRef & { reason: string },
  state: { snapshot: Record<string, unknown>; startedAt: Date; endsAt: Date | null },
): Mitigation {
  return newMitigation({
    id: ref.mitigationId,
    tenantId: ref.tenantId,
    kind: 'degraded_mode',
    targetId: ref.moduleId,
    workflowId: ref.workflowId,
    reason: ref.reason,
    requester: ref.requester,
    ...state,
  });
}

function ownMitigation(em: EntityManager, ref: DegradedModeRef): Promise<Mitigation | null> {
  return em.findOne(
    MitigationSchema,
    { id: ref.mitigationId, tenantId: ref.tenantId, kind: 'degraded_mode' },
    { lockMode: LockMode.PESSIMISTIC_WRITE },
  );
}

/**
 * Snapshots the module's features (key → enabled), switches its non-critical features that
 * are on off, records the mitigation (active, ending after `durationMs`) and audits
 * `degraded_mode.start` as the requester. A retry finds its own row and changes nothing.
 * A row left active by a workflow that no longer runs is ended as superseded, and its snapshot
 * (the state before that earlier degraded mode) is carried over, so the restore still returns
 * to the state from before any degraded mode.
 */
export async function applyDegradedModeChanges(
  em: EntityManager,
  ref: DegradedModeRef & { reason: string; durationMs: number },
): Promise<{ endsAtMs: number; active: boolean }> {
  const module = await lockModule(em, ref);
  if (!module) throw notFound('module');
  const own = await ownMitigation(em, ref);
  if (own) return { endsAtMs: own.endsAt?.getTime() ?? Date.now(), active: own.status === 'active' };
  if (module.status === 'archived') throw new AppError('ERR_CONFLICT', `module ${module.name} is archived`);

  const features = await em.find(
    FeatureSchema,
    { tenantId: ref.tenantId, moduleId: ref.moduleId },
    { orderBy: { key: 'asc' }, lockMode: LockMode.PESSIMISTIC_WRITE },
  );
  // Who feels it: recorded with the start, as the operator saw it before confirming.
  const { dependents } = await loadBlastRadius(em, ref.tenantId, ref.moduleId);
  const snapshot: Record<string, boolean> = Object.fromEntries(features.map((f) => [f.key, f.enabled]));
  const now = new Date();
  const orphan = await em.findOne(MitigationSchema, {
    id: { $ne: ref.mitigationId },
    tenantId: ref.tenantId,
    kind: 'degraded_mode',
    targetId: ref.moduleId,
    status: 'active',
  });
  if (orphan) {
    for (const [key, enabled] of Object.entries(snapshotOf(orphan)?.features ?? {})) {
      if (key in snapshot) snapshot[key] = enabled;
    }
    await endSupersededMitigation(em, orphan, ref.mitigationId, now);
  }

  const mitigation = degradedModeRow(ref, {
    snapshot: { features: snapshot } satisfies DegradedModeSnapshot,
    startedAt: now,
    endsAt: new Date(now.getTime() + ref.durationMs),
  });
  await em.insert(MitigationSchema, mitigation);

  const switchedOff = features.filter((f) => !f.critical && f.enabled);
  for (const feature of switchedOff) feature.enabled = false;
  await em.flush();

  await appendAuditEvent(em, {
    tenantId: ref.tenantId,
    actor: requesterActor(ref.requester),
    action: DEGRADED_MODE_ACTIONS.start,
    resourceType: 'Mitigation',
    resourceId: mitigation.id,
    reason: ref.reason,
    details: {
      moduleId: module.id,
      module: module.name,
      workflowId: ref.workflowId,
      snapshot,
      switchedOff: switchedOff.map((f) => f.key),
      keptOn: features.filter((f) => f.critical && f.enabled).map((f) => f.key),
      dependents: dependents.map((d) => ({ module: d.name, depth: d.depth })),
      endsAt: mitigation.endsAt!.toISOString(),
      ...(orphan ? { supersededMitigationId: orphan.id } : {}),
    },
    requestId: ref.requester.requestId,
    traceId: ref.requester.traceId,
  });
  return { endsAtMs: mitigation.endsAt!.getTime(), active: true };
}

/**
 * Moves the end of an active degraded mode to `endsAtMs` (decided by the workflow) and audits
 * `degraded_mode.extend` as the person who asked. Once per extend request: a retry finds the
 * audit event of that request and does nothing. False when the mitigation is no longer active.
 */
export async function extendDegradedModeDeadline(
  em: EntityManager,
  ref: DegradedModeRef & { endsAtMs: number; extension: ExtendDegradedModeSignal },
): Promise<boolean> {
  const mitigation = await ownMitigation(em, ref);
  if (mitigation?.status !== 'active') return false;
  const recorded = await em.count(AuditEventSchema, {
    tenantId: ref.tenantId,
    action: DEGRADED_MODE_ACTIONS.extend,
    resourceId: ref.mitigationId,
    requestId: ref.extension.requester.requestId,
  });
  if (recorded > 0) return true;
  const previousEndsAt = mitigation.endsAt;
  mitigation.endsAt = new Date(ref.endsAtMs);
  await em.flush();
  await appendAuditEvent(em, {
    tenantId: ref.tenantId,
    actor: requesterActor(ref.extension.requester),
    action: DEGRADED_MODE_ACTIONS.extend,
    resourceType: 'Mitigation',
    resourceId: ref.mitigationId,
    reason: ref.extension.reason,
    details: {
      moduleId: ref.moduleId,
      workflowId: ref.workflowId,
      additionalMinutes: ref.extension.additionalMs / 60_000,
      previousEndsAt: previousEndsAt?.toISOString() ?? null,
      endsAt: mitigation.endsAt.toISOString(),
      startedBy: { id: ref.requester.id, label: ref.requester.label },
      requestTraceId: ref.extension.requester.traceId,
    },
    // This request asked for it; the trace is the one of the request that started the degraded mode.
    requestId: ref.extension.requester.requestId,
    traceId: ref.requester.traceId,
  });
  return true;
}

/**
 * Puts every feature of the snapshot back exactly as it was (what was off before stays off),
 * ends the mitigation and audits `degraded_mode.restore`: as the person who ended it early, or
 * as the system timer when it expired; always with the trace id of the request that started it
 * (read from the row). Idempotent: an ended mitigation is left alone. Answers whether this call restored it.
 */
export async function restoreDegradedModeSnapshot(
  em: EntityManager,
  target: {
    tenantId: string;
    mitigationId: string;
    end: DegradedModeEnd | null;
    workflowRunning: boolean;
    /** Set when the workflow undoes an apply that failed for good (see `abandonDegradedModeChanges`). */
    applyFailure?: string;
  },
): Promise<boolean> {
  const mitigation = await em.findOne(
    MitigationSchema,
    { id: target.mitigationId, tenantId: target.tenantId, kind: 'degraded_mode' },
    { lockMode: LockMode.PESSIMISTIC_WRITE },
  );
  if (!mitigation) throw notFound('mitigation');
  if (mitigation.status !== 'active') return false;
  const snapshot = snapshotOf(mitigation)?.features ?? {};
  const keys = Object.keys(snapshot);
  const features = keys.length
    ? await em.find(
        FeatureSchema,
        { tenantId: target.tenantId, moduleId: mitigation.targetId, key: { $in: keys } },
        { orderBy: { key: 'asc' }, lockMode: LockMode.PESSIMISTIC_WRITE },
      )
    : [];
  const restored: Array<{ key: string; enabled: boolean }> = [];
  for (const feature of features) {
    const enabled = snapshot[feature.key]!;
    if (feature.enabled !== enabled) {
      feature.enabled = enabled;
      restored.push({ key: feature.key, enabled });
    }
  }
  const { end, applyFailure } = target;
  // Why it ends, decided once: the workflow undoing a failed apply, a person, or the timer.
  const ending =
    applyFailure !== undefined
      ? {
          cause: 'apply_failed',
          actor: DEGRADED_MODE_WORKFLOW_ACTOR,
          reason: `applying did not complete: ${applyFailure}`,
          endReason: `applying did not complete (${applyFailure}): its changes were put back`,
        }
      : end
        ? {
            cause: 'ended_early',
            actor: end.actor,
            reason: end.reason,
            endReason: `ended early by ${end.actor.label}: ${end.reason}`,
          }
        : {
            cause: 'expired',
            actor: DEGRADED_MODE_TIMER_ACTOR,
            reason: 'the degraded-mode duration elapsed',
            endReason: 'expired',
          };
  endMitigation(mitigation, ending.endReason, new Date());
  await em.flush();
  await appendAuditEvent(em, {
    tenantId: target.tenantId,
    actor: ending.actor,
    action: DEGRADED_MODE_ACTIONS.restore,
    resourceType: 'Mitigation',
    resourceId: mitigation.id,
    reason: ending.reason,
    details: {
      moduleId: mitigation.targetId,
      workflowId: mitigation.workflowId,
      cause: ending.cause,
      endsAt: mitigation.endsAt?.toISOString() ?? null,
      snapshot,
      restored,
      startedBy: { id: mitigation.requestedBy, label: mitigation.requestedByLabel },
      ...(end ? { requestTraceId: end.traceId } : {}),
      ...(target.workflowRunning ? {} : { workflowRunning: false }),
    },
    requestId: end?.requestId ?? null,
    traceId: mitigation.traceId,
  });
  return true;
}

/**
 * After applying failed for good (every retry spent, or an answer lost after the last one
 * committed): puts back whatever was applied, and makes sure a late attempt changes nothing.
 * Takes the module lock first, as applying does, so it runs after any attempt still holding it.
 * - An attempt committed: its snapshot is restored, audited `degraded_mode.restore` with cause
 *   `apply_failed`.
 * - None did: an ended row takes the mitigation's id, so an attempt that commits later finds it
 *   and stops; audited `degraded_mode.start` with outcome `failure`.
 * Idempotent (a retry finds the ended row).
 */
export async function abandonDegradedModeChanges(
  em: EntityManager,
  ref: DegradedModeRef & { reason: string; failure: string },
): Promise<'restored' | 'nothing_applied' | 'already_ended'> {
  const module = await lockModule(em, ref);
  const own = await ownMitigation(em, ref);
  if (own?.status === 'ended') return 'already_ended';
  if (own) {
    await restoreDegradedModeSnapshot(em, {
      tenantId: ref.tenantId,
      mitigationId: ref.mitigationId,
      end: null,
      workflowRunning: true,
      applyFailure: ref.failure,
    });
    return 'restored';
  }
  // No module, no row to fence: an attempt can only fail with "not found".
  if (!module) return 'nothing_applied';
  const now = new Date();
  const fence = degradedModeRow(ref, { snapshot: {}, startedAt: now, endsAt: null });
  endMitigation(fence, `not applied: ${ref.failure}`, now);
  await em.insert(MitigationSchema, fence);
  await appendAuditEvent(em, {
    tenantId: ref.tenantId,
    actor: requesterActor(ref.requester),
    action: DEGRADED_MODE_ACTIONS.start,
    resourceType: 'Mitigation',
    resourceId: ref.mitigationId,
    outcome: 'failure',
    reason: ref.reason,
    details: {
      moduleId: ref.moduleId,
      module: module.name,
      workflowId: ref.workflowId,
      cause: 'apply_failed',
      failure: ref.failure,
    },
    requestId: ref.requester.requestId,
    traceId: ref.requester.traceId,
  });
  return 'nothing_applied';
}
