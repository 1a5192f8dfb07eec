import { randomUUID } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  CIRCUIT_BREAKER_SIGNALS,
  CIRCUIT_BREAKER_UPDATES,
  CIRCUIT_BREAKER_WORKFLOW,
  circuitBreakerWorkflowId,
  type BreakerOpenedResult,
  type BreakerView,
  type CircuitBreakerWorkflowInput,
  type ForceCloseBreakerInput,
  type ForceCloseBreakerSignal,
  type MitigationRequester,
  type MitigationView,
  type OpenBreakerInput,
  type StartedMitigation,
} from '@rc/contracts';
import { WorkflowNotFoundError } from '@temporalio/client';
import { inRequestTenant, recordAudit } from '../audit/record';
import { IntegrationSchema, type Integration } from '../catalog/entities';
import { AppError, notFound } from '../errors';
import { MitigationSchema, type Mitigation } from '../mitigations/entities';
import type { TenantRequest } from '../trpc/context';

/** How long a request waits for the worker to open or close a breaker before answering 502. */
const WORKFLOW_ANSWER_TIMEOUT_MS = 30_000;
/** A start can meet the previous run of the same workflow id as it finishes; it is retried this often. */
const OPEN_ATTEMPTS = 3;

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

function toBreakerView(integration: Integration, active: Mitigation | null): BreakerView {
  return {
    integrationId: integration.id,
    name: integration.name,
    state: integration.breakerState,
    mitigation: active ? toMitigationView(active) : null,
  };
}

/** Who asks, carried into the workflow so every step it audits names them and this request's trace. */
function requesterOf(request: TenantRequest): MitigationRequester {
  return {
    kind: request.actor.kind,
    id: request.actor.id,
    label: request.actor.label,
    role: request.actor.role,
    requestId: request.requestId,
    traceId: request.traceId,
  };
}

function activeBreakerMitigation(em: EntityManager, integrationId: string) {
  return em.findOne(MitigationSchema, { kind: 'circuit_breaker', targetId: integrationId, status: 'active' });
}

async function findIntegration(em: EntityManager, integrationId: string): Promise<Integration> {
  const integration = await em.findOne(IntegrationSchema, { id: integrationId });
  // Another tenant's integration answers exactly like a missing one.
  if (!integration) throw notFound('integration');
  return integration;
}

function readBreaker(request: TenantRequest, integrationId: string): Promise<BreakerView> {
  return inRequestTenant(request, async (em) =>
    toBreakerView(await findIntegration(em, integrationId), await activeBreakerMitigation(em, integrationId)),
  );
}

function workflowFailed(what: string, error: unknown): AppError {
  const cause = error as Error & { cause?: Error };
  return new AppError(
    'ERR_WORKFLOW_FAILED',
    `circuit breaker workflow did not ${what}: ${cause.cause?.message ?? cause.message}`,
    { cause: error },
  );
}

/** Every integration of the tenant with its breaker state and, when open, the mitigation holding it open. */
export function listBreakers(request: TenantRequest): Promise<BreakerView[]> {
  return inRequestTenant(request, async (em) => {
    const integrations = await em.find(IntegrationSchema, {}, { orderBy: { name: 'asc' } });
    const active = await em.find(MitigationSchema, { kind: 'circuit_breaker', status: 'active' });
    const byTarget = new Map(active.map((m) => [m.targetId, m]));
    return integrations.map((integration) =>
      toBreakerView(integration, byTarget.get(integration.id) ?? null),
    );
  });
}

/**
 * Opens the breaker through its workflow (one per integration: the workflow id is the
 * idempotency key, and a start meeting a running one joins it). The workflow's first activity
 * opens and audits; the `opened` update answers once that has committed, with the mitigation
 * the workflow holds, which is another request's when one was already running.
 */
export async function openBreaker(
  request: TenantRequest,
  input: OpenBreakerInput,
): Promise<StartedMitigation> {
  await inRequestTenant(request, (em) => findIntegration(em, input.integrationId));
  const { temporal, config } = request.deps;
  const workflowId = circuitBreakerWorkflowId(request.tenantId, input.integrationId);
  for (let attempt = 1; attempt <= OPEN_ATTEMPTS; attempt++) {
    const workflowInput: CircuitBreakerWorkflowInput = {
      tenantId: request.tenantId,
      integrationId: input.integrationId,
      mitigationId: randomUUID(),
      reason: input.reason,
      coolDownMs: input.coolDownSeconds * 1000,
      requester: requesterOf(request),
    };
    const handle = await temporal.workflow.start<(input: CircuitBreakerWorkflowInput) => Promise<unknown>>(
      CIRCUIT_BREAKER_WORKFLOW,
      {
        taskQueue: config.temporal.taskQueue,
        workflowId,
        args: [workflowInput],
        workflowIdConflictPolicy: 'USE_EXISTING',
      },
    );
    let opened: BreakerOpenedResult;
    try {
      opened = await temporal.withDeadline(Date.now() + WORKFLOW_ANSWER_TIMEOUT_MS, () =>
        handle.executeUpdate<BreakerOpenedResult, []>(CIRCUIT_BREAKER_UPDATES.opened),
      );
    } catch (error) {
      // The run we joined finished between the start and the update: start again.
      if (error instanceof WorkflowNotFoundError) continue;
      throw workflowFailed('open the breaker', error);
    }
    if (!opened.active) {
      // The run we joined is closing its breaker: let it finish, then open anew.
      await temporal
        .withDeadline(Date.now() + WORKFLOW_ANSWER_TIMEOUT_MS, () => handle.result())
        .catch(() => undefined);
      continue;
    }
    const mitigation = await inRequestTenant(request, (em) =>
      em.findOne(MitigationSchema, { id: opened.mitigationId }),
    );
    if (!mitigation)
      throw new AppError('ERR_INTERNAL', 'the breaker workflow answered with an unknown mitigation');
    return {
      mitigation: toMitigationView(mitigation),
      alreadyRunning: opened.mitigationId !== workflowInput.mitigationId,
    };
  }
  throw new AppError('ERR_CONFLICT', 'the breaker is changing state; try again');
}

/**
 * A person closes the breaker now, whatever the probes say: the workflow gets the signal,
 * closes and audits as that person, and ends; the answer is the breaker once closed. If no
 * workflow runs for an open breaker any more (terminated by hand), it is closed here, audited.
 */
export async function forceCloseBreaker(
  request: TenantRequest,
  input: ForceCloseBreakerInput,
): Promise<BreakerView> {
  const active = await inRequestTenant(request, async (em) => {
    await findIntegration(em, input.integrationId);
    const mitigation = await activeBreakerMitigation(em, input.integrationId);
    if (!mitigation) throw new AppError('ERR_CONFLICT', 'the breaker is not open');
    return mitigation;
  });
  const { temporal } = request.deps;
  const handle = temporal.workflow.getHandle(active.workflowId);
  const signal: ForceCloseBreakerSignal = { reason: input.reason, requester: requesterOf(request) };
  try {
    await handle.signal(CIRCUIT_BREAKER_SIGNALS.forceClose, signal);
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw workflowFailed('receive the force-close', error);
    return closeWithoutWorkflow(request, input, active.id);
  }
  try {
    await temporal.withDeadline(Date.now() + WORKFLOW_ANSWER_TIMEOUT_MS, () => handle.result());
  } catch (error) {
    throw workflowFailed('close the breaker', error);
  }
  return readBreaker(request, input.integrationId);
}

/** The fallback for an open breaker whose workflow is gone: close it in this request's transaction. */
function closeWithoutWorkflow(
  request: TenantRequest,
  input: ForceCloseBreakerInput,
  mitigationId: string,
): Promise<BreakerView> {
  return inRequestTenant(request, async (em) => {
    const integration = await em.findOne(
      IntegrationSchema,
      { id: input.integrationId },
      { lockMode: LockMode.PESSIMISTIC_WRITE },
    );
    if (!integration) throw notFound('integration');
    const mitigation = await em.findOne(MitigationSchema, { id: mitigationId });
    if (mitigation?.status !== 'active') throw new AppError('ERR_CONFLICT', 'the breaker is not open');
    const now = new Date();
    const reason = `force-closed by ${request.actor.label}: ${input.reason}`;
    const stateBefore = integration.breakerState;
    mitigation.status = 'ended';
    mitigation.endedAt = now;
    mitigation.endReason = reason;
    integration.breakerState = 'closed';
    integration.breakerReason = reason;
    integration.breakerChangedAt = now;
    await em.flush();
    await recordAudit(em, request, {
      action: 'breaker.force_close',
      resourceType: 'Integration',
      resourceId: integration.id,
      reason: input.reason,
      details: {
        integration: integration.name,
        mitigationId,
        workflowId: mitigation.workflowId,
        stateBefore,
        openedBy: mitigation.requestedByLabel,
        workflowRunning: false,
      },
    });
    return toBreakerView(integration, null);
  });
}
