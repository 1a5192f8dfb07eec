/**
 * Circuit breaker on an external integration (seed 002, L1): open → (cool-down) → half-open →
 * probe the health URL → closed when the probes pass, open again when one fails; a person can
 * force-close at any time. One workflow per integration (its id is the idempotency key).
 * Deterministic: no I/O here, only activities (imported as types), timers, a signal and an update.
 */
import {
  CIRCUIT_BREAKER_SIGNALS,
  CIRCUIT_BREAKER_UPDATES,
  type BreakerOpenedResult,
  type CircuitBreakerWorkflowInput,
  type ForceCloseBreakerSignal,
} from '@rc/contracts/workflows';
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineSignal,
  defineUpdate,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { BreakerActivities, BreakerRef, ProbeResult } from './activities';

/** Consecutive passing probes needed to close; one failure reopens. */
export const PROBES_TO_CLOSE = 3;
/** Pause between two probes of one half-open phase. */
export const PROBE_INTERVAL_MS = 1_000;
/**
 * Each failed half-open phase doubles the next cool-down, up to an hour (or the requested
 * cool-down if longer): an integration that stays down is probed, and audited, a few times
 * an hour rather than every few seconds forever. The opener may ask for a lower cap
 * (`maxCoolDownMs`), never a higher one.
 */
export const MAX_BACKED_OFF_COOL_DOWN_MS = 3_600_000;
/** Open/half-open cycles per run before continuing as new: keeps each run's history small. */
export const CYCLES_PER_RUN = 20;

export const forceCloseBreakerSignal = defineSignal<[ForceCloseBreakerSignal]>(
  CIRCUIT_BREAKER_SIGNALS.forceClose,
);
export const breakerOpenedUpdate = defineUpdate<BreakerOpenedResult>(CIRCUIT_BREAKER_UPDATES.opened);

/** Carried from one run to the next by continue-as-new. */
export interface BreakerRunState {
  /** The breaker was opened by an earlier run (do not open it again). */
  opened: boolean;
  /** Failed half-open phases so far (sets the next cool-down). */
  failedCycles: number;
}

export interface CircuitBreakerOutcome {
  mitigationId: string;
  closedBy: 'probe' | 'force' | 'nobody';
}

const { openBreaker, markBreakerHalfOpen, reopenBreaker, closeBreaker } = proxyActivities<BreakerActivities>({
  startToCloseTimeout: '15 seconds',
  retry: {
    initialInterval: '500 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    // About ten minutes of a database that does not answer before the run fails.
    maximumAttempts: 25,
    nonRetryableErrorTypes: ['IntegrationNotFound'],
  },
});

const { probeIntegration } = proxyActivities<BreakerActivities>({
  // The probe has its own 5 s HTTP timeout; a failed probe is a result, not an error.
  startToCloseTimeout: '15 seconds',
  retry: {
    initialInterval: '500 milliseconds',
    maximumAttempts: 3,
    nonRetryableErrorTypes: ['IntegrationNotFound'],
  },
});

/**
 * The cool-down before the next half-open phase: `coolDownMs` doubled per failed phase, up to
 * `maxCoolDownMs` (bounded to an hour; an hour when absent or not a positive number), and never
 * below `coolDownMs` itself.
 */
export function coolDownFor(coolDownMs: number, failedCycles: number, maxCoolDownMs?: number): number {
  const requestedCap =
    maxCoolDownMs !== undefined && Number.isFinite(maxCoolDownMs) && maxCoolDownMs > 0
      ? Math.min(maxCoolDownMs, MAX_BACKED_OFF_COOL_DOWN_MS)
      : MAX_BACKED_OFF_COOL_DOWN_MS;
  const cap = Math.max(coolDownMs, requestedCap);
  return Math.min(coolDownMs * 2 ** Math.min(failedCycles, 30), cap);
}

export async function circuitBreakerWorkflow(
  input: CircuitBreakerWorkflowInput,
  carried: BreakerRunState = { opened: false, failedCycles: 0 },
): Promise<CircuitBreakerOutcome> {
  const ref: BreakerRef = {
    tenantId: input.tenantId,
    integrationId: input.integrationId,
    mitigationId: input.mitigationId,
    requester: input.requester,
    workflowId: workflowInfo().workflowId,
  };
  let opened = carried.opened;
  let closing = false;
  let forceCloseSignal: ForceCloseBreakerSignal | null = null;
  /** A function, not a variable: the handler sets it while the workflow awaits. */
  const forceClose = () => forceCloseSignal;

  // Handlers first: a signal or update that arrived with the start is delivered to them.
  setHandler(forceCloseBreakerSignal, (signal) => {
    forceCloseSignal ??= signal;
  });
  setHandler(breakerOpenedUpdate, async () => {
    await condition(() => opened || closing);
    return { mitigationId: input.mitigationId, active: !closing };
  });

  const finish = async (outcome: CircuitBreakerOutcome): Promise<CircuitBreakerOutcome> => {
    closing = true;
    await condition(allHandlersFinished);
    return outcome;
  };
  const forceCloseNow = async (signal: ForceCloseBreakerSignal) => {
    closing = true; // from here, an open request waits for this run to end and opens anew
    await closeBreaker({ ...ref, by: 'force', reason: signal.reason, closedBy: signal.requester });
    return finish({ mitigationId: input.mitigationId, closedBy: 'force' });
  };

  if (!opened) {
    await openBreaker({
      ...ref,
      reason: input.reason,
      coolDownMs: input.coolDownMs,
      maxCoolDownMs: input.maxCoolDownMs,
    });
    opened = true;
  }

  let failedCycles = carried.failedCycles;
  for (let cycle = 0; cycle < CYCLES_PER_RUN; cycle++) {
    // Open: wait out the cool-down, unless a person closes it first.
    await condition(
      () => forceClose() !== null,
      coolDownFor(input.coolDownMs, failedCycles, input.maxCoolDownMs),
    );
    const closeRequest = forceClose();
    if (closeRequest) return forceCloseNow(closeRequest);

    if (!(await markBreakerHalfOpen({ ...ref, cycle: failedCycles + 1 }))) {
      // Someone ended this mitigation outside the workflow (see the control plane's fallback).
      return finish({ mitigationId: input.mitigationId, closedBy: 'nobody' });
    }

    // Half-open: consecutive probes; the first failure ends the phase.
    const probes: ProbeResult[] = [];
    let failed: ProbeResult | null = null;
    while (probes.length < PROBES_TO_CLOSE && !failed && !forceClose()) {
      if (probes.length > 0) await condition(() => forceClose() !== null, PROBE_INTERVAL_MS);
      if (forceClose()) break;
      const probe = await probeIntegration({ tenantId: input.tenantId, integrationId: input.integrationId });
      if (probe.ok) probes.push(probe);
      else failed = probe;
    }
    const closeDuringProbes = forceClose();
    if (closeDuringProbes) return forceCloseNow(closeDuringProbes);
    if (!failed) {
      closing = true;
      await closeBreaker({ ...ref, by: 'probe', probes });
      return finish({ mitigationId: input.mitigationId, closedBy: 'probe' });
    }

    failedCycles += 1;
    if (
      !(await reopenBreaker({
        ...ref,
        probe: failed,
        nextCoolDownMs: coolDownFor(input.coolDownMs, failedCycles, input.maxCoolDownMs),
      }))
    ) {
      return finish({ mitigationId: input.mitigationId, closedBy: 'nobody' });
    }
    if (workflowInfo().continueAsNewSuggested) break;
  }

  // Still open after many cycles: a fresh run carries on (same workflow id, same mitigation).
  await condition(allHandlersFinished);
  // Checked after that wait: a force-close arriving during it would be lost with this run.
  const closeBeforeNewRun = forceClose();
  if (closeBeforeNewRun) return forceCloseNow(closeBeforeNewRun);
  return continueAsNew<typeof circuitBreakerWorkflow>(input, { opened: true, failedCycles });
}
