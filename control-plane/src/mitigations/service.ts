import { setTimeout as sleep } from 'node:timers/promises';
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  DEGRADED_MODE_MAX_MINUTES,
  DEGRADED_MODE_SIGNALS,
  DEGRADED_MODE_UPDATES,
  DEGRADED_MODE_WORKFLOW,
  degradedModeWorkflowId,
  type DegradedModeWorkflowInput,
  type EndDegradedModeInput,
  type EndDegradedModeSignal,
  type ExtendDegradedModeInput,
  type ExtendDegradedModeSignal,
  type MitigationView,
  type StartedMitigation,
} from '@rc/contracts';
import { WorkflowNotFoundError } from '@temporalio/client';
import { AuditEventSchema } from '../audit/entities';
import { auditActorOf } from '../audit/record';
import { inRequestTenant } from '../db/request-tenant';
import { AppError, notFound } from '../errors';
import { ModuleSchema, type Module } from '../modules/entities';
import type { TenantRequest } from '../trpc/context';
import { DEGRADED_MODE_ACTIONS, restoreDegradedModeSnapshot } from './degraded-mode-store';
import { MitigationSchema, type Mitigation } from './entities';
import { findActiveMitigation } from './mitigation-rows';
import {
  requesterOf,
  startMitigationWorkflow,
  workflowFailed,
  WORKFLOW_ANSWER_TIMEOUT_MS,
} from './mitigation-workflow';
import { toMitigationView } from './views';

const POLL_INTERVAL_MS = 100;
const MAX_DURATION_MS = DEGRADED_MODE_MAX_MINUTES * 60_000;
const WORKFLOW_NAME = 'degraded-mode workflow';

async function findModule(em: EntityManager, moduleId: string): Promise<Module> {
  const module = await em.findOne(ModuleSchema, { id: moduleId });
  // Another tenant's module answers exactly like a missing one.
  if (!module) throw notFound('module');
  return module;
}

function activeDegradedMode(em: EntityManager, moduleId: string): Promise<Mitigation | null> {
  return findActiveMitigation(em, 'degraded_mode', moduleId);
}

/** The module's active degraded mode; 404 for an unknown module, 409 when none is active. */
function requireActiveDegradedMode(request: TenantRequest, moduleId: string): Promise<Mitigation> {
  return inRequestTenant(request, async (em) => {
    await findModule(em, moduleId);
    const mitigation = await activeDegradedMode(em, moduleId);
    if (!mitigation) throw new AppError('ERR_CONFLICT', 'no degraded mode is active on this module');
    return mitigation;
  });
}

function readMitigation(request: TenantRequest, id: string): Promise<Mitigation | null> {
  return inRequestTenant(request, (em) => em.findOne(MitigationSchema, { id }));
}

/** Polls until `probe` answers something, or gives up with null after the workflow answer timeout. */
async function waitFor<T>(probe: () => Promise<T | null>): Promise<T | null> {
  const deadline = Date.now() + WORKFLOW_ANSWER_TIMEOUT_MS;
  for (;;) {
    const value = await probe();
    if (value !== null || Date.now() >= deadline) return value;
    await sleep(POLL_INTERVAL_MS);
  }
}

/** The tenant's mitigations (degraded modes and circuit breakers), newest first. */
export function listMitigations(
  request: TenantRequest,
  input: { status?: Mitigation['status']; limit: number },
): Promise<MitigationView[]> {
  return inRequestTenant(request, async (em) => {
    const mitigations = await em.find(MitigationSchema, input.status ? { status: input.status } : {}, {
      orderBy: { startedAt: 'desc', id: 'asc' },
      limit: input.limit,
    });
    return mitigations.map(toMitigationView);
  });
}

/** The module's active degraded mode, or null; an unknown module (or another tenant's) is 404. */
export function getDegradedMode(request: TenantRequest, moduleId: string): Promise<MitigationView | null> {
  return inRequestTenant(request, async (em) => {
    await findModule(em, moduleId);
    const mitigation = await activeDegradedMode(em, moduleId);
    return mitigation ? toMitigationView(mitigation) : null;
  });
}

/**
 * Puts a module in degraded mode through its workflow (one per module: the workflow id is the
 * idempotency key, and a start meeting a running one joins it). The workflow's first activity
 * snapshots the flags, switches the non-critical ones off, records the mitigation and audits, in
 * one transaction; the `applied` update answers once that has committed, with the mitigation the
 * workflow holds, which is another request's when one was already running (`alreadyRunning`).
 * `durationMs` is the API's minutes, or shorter for tests that watch the restore happen.
 */
export async function startDegradedMode(
  request: TenantRequest,
  input: { moduleId: string; reason: string; durationMs: number },
): Promise<StartedMitigation> {
  if (!Number.isInteger(input.durationMs) || input.durationMs < 1_000 || input.durationMs > MAX_DURATION_MS) {
    throw new AppError('ERR_VALIDATION', `degraded mode lasts 1 s to ${DEGRADED_MODE_MAX_MINUTES} minutes`, {
      fieldErrors: { durationMinutes: [`between 1 and ${DEGRADED_MODE_MAX_MINUTES}`] },
    });
  }
  await inRequestTenant(request, async (em) => {
    const module = await findModule(em, input.moduleId);
    if (module.status === 'archived') throw new AppError('ERR_CONFLICT', `module ${module.name} is archived`);
  });
  return startMitigationWorkflow(request, {
    workflowName: WORKFLOW_NAME,
    workflowType: DEGRADED_MODE_WORKFLOW,
    workflowId: degradedModeWorkflowId(request.tenantId, input.moduleId),
    appliedUpdate: DEGRADED_MODE_UPDATES.applied,
    input: (common): DegradedModeWorkflowInput => ({
      ...common,
      moduleId: input.moduleId,
      reason: input.reason,
      durationMs: input.durationMs,
    }),
    applying: 'apply degraded mode',
    busy: 'degraded mode on this module is changing state; try again',
    // The module was archived or removed between our check and the workflow's.
    updateFailed: (error) =>
      new AppError('ERR_CONFLICT', `degraded mode was not applied: ${error.cause?.message}`, {
        cause: error,
      }),
  });
}

/**
 * Gives the running degraded mode more time: the workflow moves its deadline (never more than
 * the maximum ahead of now) and its activity records and audits it as this caller. The answer
 * is the mitigation once the extension is recorded.
 */
export async function extendDegradedMode(
  request: TenantRequest,
  input: ExtendDegradedModeInput,
): Promise<MitigationView> {
  const additionalMs = input.additionalMinutes * 60_000;
  const active = await requireActiveDegradedMode(request, input.moduleId);
  const endsAt = (active.endsAt?.getTime() ?? Date.now()) + additionalMs;
  if (endsAt - Date.now() > MAX_DURATION_MS) {
    throw new AppError(
      'ERR_VALIDATION',
      `degraded mode may not have more than ${DEGRADED_MODE_MAX_MINUTES} minutes left to run`,
      { fieldErrors: { additionalMinutes: [`would leave more than ${DEGRADED_MODE_MAX_MINUTES} minutes`] } },
    );
  }
  const signal: ExtendDegradedModeSignal = {
    additionalMs,
    reason: input.reason,
    requester: requesterOf(request),
  };
  try {
    await request.deps.temporal.workflow
      .getHandle(active.workflowId)
      .signal(DEGRADED_MODE_SIGNALS.extend, signal);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) {
      throw new AppError('ERR_CONFLICT', 'the degraded-mode workflow is no longer running; end it instead', {
        cause: error,
      });
    }
    throw workflowFailed(WORKFLOW_NAME, 'receive the extension', error);
  }
  const outcome = await waitFor(() =>
    inRequestTenant(request, async (em) => {
      const mitigation = await em.findOne(MitigationSchema, { id: active.id });
      const extended =
        (await em.count(AuditEventSchema, {
          action: DEGRADED_MODE_ACTIONS.extend,
          resourceId: active.id,
          requestId: request.requestId,
        })) > 0;
      return extended || mitigation?.status !== 'active' ? { mitigation, extended } : null;
    }),
  );
  if (!outcome) {
    throw new AppError(
      'ERR_WORKFLOW_FAILED',
      'the degraded-mode workflow has not recorded the extension yet; it will when a worker runs it',
    );
  }
  // It ended (or began restoring) before this extension was taken: nothing was extended.
  if (!outcome.extended || !outcome.mitigation) {
    throw new AppError('ERR_CONFLICT', 'degraded mode on this module has ended; start it again instead');
  }
  return toMitigationView(outcome.mitigation);
}

/**
 * Ends the running degraded mode now: the workflow restores the snapshot and audits as this
 * caller. The answer is the mitigation once ended. When the workflow is gone (terminated by
 * hand), the snapshot is restored here, in this request's transaction, audited alike.
 */
export async function endDegradedMode(
  request: TenantRequest,
  input: EndDegradedModeInput,
): Promise<MitigationView> {
  const active = await requireActiveDegradedMode(request, input.moduleId);
  const signal: EndDegradedModeSignal = { reason: input.reason, requester: requesterOf(request) };
  try {
    await request.deps.temporal.workflow
      .getHandle(active.workflowId)
      .signal(DEGRADED_MODE_SIGNALS.end, signal);
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError))
      throw workflowFailed(WORKFLOW_NAME, 'receive the end request', error);
    await inRequestTenant(request, (em) =>
      restoreDegradedModeSnapshot(em, {
        tenantId: request.tenantId,
        mitigationId: active.id,
        workflowRunning: false,
        end: {
          actor: auditActorOf(request),
          reason: input.reason,
          requestId: request.requestId,
          traceId: request.traceId,
        },
      }),
    );
  }
  const ended = await waitFor(async () => {
    const mitigation = await readMitigation(request, active.id);
    return mitigation?.status === 'ended' ? mitigation : null;
  });
  if (!ended) {
    throw new AppError(
      'ERR_WORKFLOW_FAILED',
      'the degraded-mode workflow has not restored the module yet; it will when a worker runs it',
    );
  }
  return toMitigationView(ended);
}
