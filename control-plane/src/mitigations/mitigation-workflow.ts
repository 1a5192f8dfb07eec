/**
 * How the control plane drives a mitigation's workflow (degraded mode, circuit breaker): who asks,
 * how a workflow failure is answered, and the start that joins a running workflow of the same id.
 */
import { randomUUID } from 'node:crypto';
import type { MitigationRequester, StartedMitigation } from '@rc/contracts';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { auditActorOf } from '../audit/record';
import { inRequestTenant } from '../db/request-tenant';
import { AppError } from '../errors';
import type { TenantRequest } from '../trpc/context';
import { MitigationSchema } from './entities';
import { toMitigationView } from './views';

/** How long a request waits for the worker to apply, change or end a mitigation before answering 502. */
export const WORKFLOW_ANSWER_TIMEOUT_MS = 30_000;
/** A start can meet the previous run of the same workflow id as it ends; it then starts again, this often. */
const START_ATTEMPTS = 3;

/** Who asks, carried into the workflow so every step it audits names them and this request's trace. */
export function requesterOf(request: TenantRequest): MitigationRequester {
  return { ...auditActorOf(request), requestId: request.requestId, traceId: request.traceId };
}

/** A 502 saying which workflow did not do what. */
export function workflowFailed(workflowName: string, what: string, error: unknown): AppError {
  const cause = error as Error & { cause?: Error };
  return new AppError(
    'ERR_WORKFLOW_FAILED',
    `${workflowName} did not ${what}: ${cause.cause?.message ?? cause.message}`,
    { cause: error },
  );
}

/** What the workflow's "applied" update answers: the mitigation it holds, and false once it is ending. */
interface AppliedResult {
  mitigationId: string;
  active: boolean;
}

/** What every mitigation workflow's input carries: the tenant, the mitigation it records, who asked. */
export interface MitigationWorkflowCommon {
  tenantId: string;
  mitigationId: string;
  requester: MitigationRequester;
}

export interface MitigationWorkflowStart<Input extends { mitigationId: string }> {
  /** How errors name the workflow, e.g. "degraded-mode workflow". */
  workflowName: string;
  workflowType: string;
  /** Deterministic per target: the idempotency key. */
  workflowId: string;
  /** The update that answers once the workflow's first activity has committed (or that the run is ending). */
  appliedUpdate: string;
  /** The input of one attempt, from what every mitigation workflow input has (with that attempt's new mitigation id). */
  input: (common: MitigationWorkflowCommon) => Input;
  /** What the first step is called in errors, e.g. "apply degraded mode". */
  applying: string;
  /** The conflict answered when every attempt met a run on its way out. */
  busy: string;
  /** The answer when the update fails (the workflow refused the mitigation); a workflow failure otherwise. */
  updateFailed?: (error: WorkflowUpdateFailedError) => AppError;
}

/**
 * Starts the mitigation's workflow, or joins the one running under the same id, and answers once
 * its first activity has committed, with the mitigation the workflow holds: another request's
 * when one was already running (`alreadyRunning`). A run met while it ends is let finish, then
 * the start is tried again.
 */
export async function startMitigationWorkflow<Input extends { mitigationId: string }>(
  request: TenantRequest,
  spec: MitigationWorkflowStart<Input>,
): Promise<StartedMitigation> {
  const { temporal, config } = request.deps;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const workflowInput = spec.input({
      tenantId: request.tenantId,
      mitigationId: randomUUID(),
      requester: requesterOf(request),
    });
    // The SDK names the run the server started OR joined (USE_EXISTING) `firstExecutionRunId`.
    const { firstExecutionRunId: runId } = await temporal.workflow
      .start<(input: Input) => Promise<unknown>>(spec.workflowType, {
        taskQueue: config.temporal.taskQueue,
        workflowId: spec.workflowId,
        args: [workflowInput],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      })
      .catch((error: unknown) => {
        throw workflowFailed(spec.workflowName, 'start', error);
      });
    // A handle on exactly that run. Not the start's own handle: it treats that run as the first of
    // its chain, which a joined run that continued as new is not (the server would answer the
    // update "not found", and every attempt would end in `busy`).
    const handle = temporal.workflow.getHandle(spec.workflowId, runId);
    let applied: AppliedResult;
    try {
      applied = await temporal.withDeadline(Date.now() + WORKFLOW_ANSWER_TIMEOUT_MS, () =>
        handle.executeUpdate<AppliedResult, []>(spec.appliedUpdate),
      );
    } catch (error) {
      // The run we joined finished between the start and the update: start again.
      if (error instanceof WorkflowNotFoundError) continue;
      if (error instanceof WorkflowUpdateFailedError && spec.updateFailed) throw spec.updateFailed(error);
      throw workflowFailed(spec.workflowName, spec.applying, error);
    }
    if (!applied.active) {
      // The run we joined is ending: let it finish, then start anew.
      await temporal
        .withDeadline(Date.now() + WORKFLOW_ANSWER_TIMEOUT_MS, () => handle.result())
        .catch(() => undefined);
      continue;
    }
    const mitigation = await inRequestTenant(request, (em) =>
      em.findOne(MitigationSchema, { id: applied.mitigationId }),
    );
    if (!mitigation) {
      throw new AppError('ERR_INTERNAL', `the ${spec.workflowName} answered with an unknown mitigation`);
    }
    return {
      mitigation: toMitigationView(mitigation),
      alreadyRunning: applied.mitigationId !== workflowInput.mitigationId,
    };
  }
  throw new AppError('ERR_CONFLICT', spec.busy);
}
