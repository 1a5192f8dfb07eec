import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  CIRCUIT_BREAKER_SIGNALS,
  CIRCUIT_BREAKER_UPDATES,
  CIRCUIT_BREAKER_WORKFLOW,
  circuitBreakerWorkflowId,
  type BreakerView,
  type CircuitBreakerWorkflowInput,
  type ForceCloseBreakerInput,
  type ForceCloseBreakerSignal,
  type OpenBreakerInput,
  type StartedMitigation,
} from '@rc/contracts';
import { WorkflowNotFoundError } from '@temporalio/client';
import { recordAudit } from '../audit/record';
import { inRequestTenant } from '../db/request-tenant';
import { IntegrationSchema, type Integration } from '../catalog/entities';
import { AppError, notFound } from '../errors';
import { MitigationSchema, type Mitigation } from '../mitigations/entities';
import { findActiveMitigation } from '../mitigations/mitigation-rows';
import { closeBreakerRows } from './breaker-rows';
import {
  requesterOf,
  startMitigationWorkflow,
  workflowFailed,
  WORKFLOW_ANSWER_TIMEOUT_MS,
} from '../mitigations/mitigation-workflow';
import { toMitigationView } from '../mitigations/views';
import type { TenantRequest } from '../trpc/context';

const WORKFLOW_NAME = 'circuit breaker workflow';

function toBreakerView(integration: Integration, active: Mitigation | null): BreakerView {
  return {
    integrationId: integration.id,
    name: integration.name,
    state: integration.breakerState,
    mitigation: active ? toMitigationView(active) : null,
  };
}

function activeBreakerMitigation(em: EntityManager, integrationId: string): Promise<Mitigation | null> {
  return findActiveMitigation(em, 'circuit_breaker', integrationId);
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
  return startMitigationWorkflow(request, {
    workflowName: WORKFLOW_NAME,
    workflowType: CIRCUIT_BREAKER_WORKFLOW,
    workflowId: circuitBreakerWorkflowId(request.tenantId, input.integrationId),
    appliedUpdate: CIRCUIT_BREAKER_UPDATES.opened,
    input: (common): CircuitBreakerWorkflowInput => ({
      ...common,
      integrationId: input.integrationId,
      reason: input.reason,
      coolDownMs: input.coolDownSeconds * 1000,
      // Absent stays absent: the workflow then backs off up to its default cap.
      ...(input.maxCoolDownSeconds === undefined ? {} : { maxCoolDownMs: input.maxCoolDownSeconds * 1000 }),
    }),
    applying: 'open the breaker',
    busy: 'the breaker is changing state; try again',
  });
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
    if (!(error instanceof WorkflowNotFoundError))
      throw workflowFailed(WORKFLOW_NAME, 'receive the force-close', error);
    return closeWithoutWorkflow(request, input, active.id);
  }
  try {
    await temporal.withDeadline(Date.now() + WORKFLOW_ANSWER_TIMEOUT_MS, () => handle.result());
  } catch (error) {
    throw workflowFailed(WORKFLOW_NAME, 'close the breaker', error);
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
    const stateBefore = closeBreakerRows(integration, mitigation, reason, now);
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
