/**
 * Degraded mode on a module (seed 002, L1): snapshot the module's flags and switch its
 * non-critical features off → wait until the duration elapses or a person ends it (signal),
 * extending the deadline when asked (signal) → restore exactly the snapshot. Every step is an
 * activity that audits. One workflow per module (its id is the idempotency key).
 * Deterministic: no I/O here, only activities (imported as types), a timer, signals and an update.
 */
import {
  DEGRADED_MODE_MAX_MINUTES,
  DEGRADED_MODE_SIGNALS,
  DEGRADED_MODE_UPDATES,
  type DegradedModeAppliedResult,
  type DegradedModeWorkflowInput,
  type EndDegradedModeSignal,
  type ExtendDegradedModeSignal,
} from '@rc/contracts/workflows';
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  defineSignal,
  defineUpdate,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { DegradedModeActivities, DegradedModeRef } from './activities';

/** However often it is extended, degraded mode never has more than this left to run. */
export const DEGRADED_MODE_MAX_REMAINING_MS = DEGRADED_MODE_MAX_MINUTES * 60_000;

export const extendDegradedModeSignal = defineSignal<[ExtendDegradedModeSignal]>(
  DEGRADED_MODE_SIGNALS.extend,
);
export const endDegradedModeSignal = defineSignal<[EndDegradedModeSignal]>(DEGRADED_MODE_SIGNALS.end);
export const degradedModeAppliedUpdate = defineUpdate<DegradedModeAppliedResult>(
  DEGRADED_MODE_UPDATES.applied,
);

export interface DegradedModeOutcome {
  mitigationId: string;
  endedBy: 'expiry' | 'request';
}

const RETRY = {
  initialInterval: '200 milliseconds',
  backoffCoefficient: 2,
  maximumInterval: '10 seconds',
  nonRetryableErrorTypes: ['ERR_NOT_FOUND', 'ERR_CONFLICT'],
};

// Applying is worth retrying for a few minutes; after that the request is stale and nothing changed.
const { applyDegradedMode } = proxyActivities<DegradedModeActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { ...RETRY, maximumAttempts: 25 },
});

// Once applied, the flags must come back even through a long database outage: retried until done.
const { recordDegradedModeExtension, restoreDegradedMode, abandonDegradedMode } =
  proxyActivities<DegradedModeActivities>({
    startToCloseTimeout: '30 seconds',
    retry: RETRY,
  });

export async function degradedModeWorkflow(input: DegradedModeWorkflowInput): Promise<DegradedModeOutcome> {
  const ref: DegradedModeRef = {
    tenantId: input.tenantId,
    moduleId: input.moduleId,
    mitigationId: input.mitigationId,
    workflowId: workflowInfo().workflowId,
    requester: input.requester,
  };
  let applied = false;
  let restoring = false;
  let failure: string | null = null;
  const extensions: ExtendDegradedModeSignal[] = [];
  /** Extend requests already taken: a re-delivered or retried signal moves the deadline once. */
  const extendRequestIds = new Set<string>();
  let endRequest: EndDegradedModeSignal | null = null;
  /** A function, not a variable: handlers set it while the workflow awaits. */
  const endRequested = () => endRequest;

  // Handlers first: a signal or update that arrived with the start is delivered to them.
  setHandler(extendDegradedModeSignal, (signal) => {
    // Behind a patch: runs started before it replay with every delivery taken, as they ran.
    if (patched('degraded-mode-extend-dedupe')) {
      if (extendRequestIds.has(signal.requester.requestId)) return;
      extendRequestIds.add(signal.requester.requestId);
    }
    extensions.push(signal);
  });
  setHandler(endDegradedModeSignal, (signal) => {
    endRequest ??= signal;
  });
  setHandler(degradedModeAppliedUpdate, async () => {
    await condition(() => applied || restoring || failure !== null);
    if (failure !== null) throw ApplicationFailure.nonRetryable(failure, 'DegradedModeNotApplied');
    return { mitigationId: input.mitigationId, active: !restoring };
  });

  let deadline: number;
  try {
    const result = await applyDegradedMode({ ...ref, reason: input.reason, durationMs: input.durationMs });
    if (!result.active) {
      // Already ended outside this run (the control plane's fallback): nothing left to do.
      restoring = true;
      await condition(allHandlersFinished);
      return { mitigationId: input.mitigationId, endedBy: 'request' };
    }
    deadline = result.endsAtMs;
    applied = true;
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause;
    const message = cause?.message ?? (error instanceof Error ? error.message : String(error));
    // The last attempt may have committed and lost its answer, or may still commit: put back
    // whatever it did before saying it failed. Behind a patch: earlier runs failed without it.
    if (patched('degraded-mode-abandon-failed-apply')) {
      await abandonDegradedMode({ ...ref, reason: input.reason, failure: message });
    }
    failure = message;
    await condition(allHandlersFinished);
    throw error;
  }

  // Wait for the deadline, taking extensions one at a time (in the order they arrived).
  for (;;) {
    if (endRequested()) break;
    const extension = extensions.shift();
    if (extension) {
      deadline = Math.min(deadline + extension.additionalMs, Date.now() + DEGRADED_MODE_MAX_REMAINING_MS);
      await recordDegradedModeExtension({ ...ref, endsAtMs: deadline, extension });
      continue;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    await condition(() => endRequested() !== null || extensions.length > 0, remaining);
  }

  restoring = true;
  const endedBy = endRequested();
  await restoreDegradedMode({ ...ref, endedBy });
  await condition(allHandlersFinished);
  return { mitigationId: input.mitigationId, endedBy: endedBy ? 'request' : 'expiry' };
}
