/**
 * Circuit breaker activities: every change to a breaker (the integration's `breaker_state`,
 * its mitigation row and the audit event) commits in one tenant transaction; the health
 * probe is a real HTTP GET. The workflow decides when each runs (workflows.ts).
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { LockMode } from '@mikro-orm/postgresql';
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  appendAuditEvent,
  closeBreakerRows,
  endSupersededMitigation,
  findActiveMitigation,
  inTenantTransaction,
  IntegrationSchema,
  MitigationSchema,
  newMitigation,
  requesterActor,
  setBreakerState,
  type AuditActor,
  type Integration,
  type Mitigation,
} from '@rc/control-plane';
import type { MitigationRequester } from '@rc/contracts';
import { ApplicationFailure } from '@temporalio/common';

/** A probe answers this way: it never throws because the integration is unhealthy. */
export interface ProbeResult {
  ok: boolean;
  /** HTTP status, when the integration answered. */
  status: number | null;
  /** Why it failed without a status (timeout, refused, unsupported URL). */
  error: string | null;
  durationMs: number;
}

/** Which breaker, in which run: every activity checks the run's mitigation is still the active one. */
export interface BreakerRef {
  tenantId: string;
  integrationId: string;
  mitigationId: string;
  /** The person (or token) who opened it; automatic steps carry their trace id. */
  requester: MitigationRequester;
  workflowId: string;
}

export interface OpenBreakerActivityInput extends BreakerRef {
  reason: string;
  coolDownMs: number;
  /** The requested cap of the backed-off cool-down, when the opener asked for one. */
  maxCoolDownMs?: number;
}

export type CloseBreakerActivityInput = BreakerRef &
  ({ by: 'probe'; probes: ProbeResult[] } | { by: 'force'; reason: string; closedBy: MitigationRequester });

export interface BreakerActivityDeps {
  orm: MikroORM;
}

/** A GET slower than this fails the probe. */
export const PROBE_TIMEOUT_MS = 5_000;

/** Automatic transitions are the workflow's doing, not a person's; the trace still leads to the opening request. */
const BREAKER_WORKFLOW_ACTOR: AuditActor = {
  kind: 'system',
  id: null,
  label: 'circuit breaker workflow',
  role: null,
};

async function lockIntegration(em: EntityManager, integrationId: string): Promise<Integration> {
  const integration = await em.findOne(
    IntegrationSchema,
    { id: integrationId },
    { lockMode: LockMode.PESSIMISTIC_WRITE },
  );
  // Not found also covers "another tenant's integration": RLS and the tenant filter hide it.
  if (!integration) throw ApplicationFailure.nonRetryable('integration not found', 'IntegrationNotFound');
  return integration;
}

/** This run's mitigation, if it is still the active one (the breaker is still this run's to change). */
async function ownMitigation(em: EntityManager, ref: BreakerRef): Promise<Mitigation | null> {
  const mitigation = await em.findOne(MitigationSchema, { id: ref.mitigationId });
  return mitigation?.status === 'active' ? mitigation : null;
}

/**
 * A transition the workflow makes on its own (half-open after the cool-down, open again after a
 * failed probe), audited as the workflow with the opening request's trace. False when this run's
 * mitigation is no longer active; true without a change when the breaker is already there (a
 * retry after commit).
 */
async function moveBreaker(
  em: EntityManager,
  ref: BreakerRef,
  to: {
    state: 'open' | 'half_open';
    reason: string;
    action: string;
    /** The audit event's reason, when it has one. */
    auditReason?: string;
    details: Record<string, unknown>;
  },
): Promise<boolean> {
  const integration = await lockIntegration(em, ref.integrationId);
  if (!(await ownMitigation(em, ref))) return false;
  if (integration.breakerState === to.state) return true;
  setBreakerState(integration, to.state, to.reason, new Date());
  await em.flush();
  await appendAuditEvent(em, {
    tenantId: ref.tenantId,
    actor: BREAKER_WORKFLOW_ACTOR,
    action: to.action,
    resourceType: 'Integration',
    resourceId: ref.integrationId,
    reason: to.auditReason,
    details: {
      integration: integration.name,
      mitigationId: ref.mitigationId,
      workflowId: ref.workflowId,
      ...to.details,
      openedBy: ref.requester.label,
    },
    requestId: ref.requester.requestId,
    traceId: ref.requester.traceId,
  });
  return true;
}

/** Sends one GET to a health URL: 2xx within the timeout passes; anything else fails. Redirects are not followed. */
export async function probeHealthUrl(healthUrl: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeResult> {
  const started = Date.now();
  const result = (ok: boolean, status: number | null, error: string | null): ProbeResult => ({
    ok,
    status,
    error,
    durationMs: Date.now() - started,
  });
  let url: URL;
  try {
    url = new URL(healthUrl);
  } catch {
    return result(false, null, 'health URL is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return result(false, null, `health URL scheme ${url.protocol} is not http or https`);
  }
  try {
    const response = await fetch(url, {
      method: 'GET',
      // A redirect could lead anywhere (another host, another scheme): it is an answer, not a pass.
      redirect: 'manual',
      headers: { accept: 'application/json, text/plain, */*', 'user-agent': 'reliability-center-probe' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    // The body is not needed; release the connection.
    await response.body?.cancel().catch(() => undefined);
    const ok = response.status >= 200 && response.status < 300;
    return result(ok, response.status, ok ? null : `HTTP ${response.status}`);
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return result(false, null, `no answer within ${timeoutMs} ms`);
    }
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    return result(false, null, cause?.code ?? cause?.message ?? (error as Error).message);
  }
}

export interface BreakerActivities {
  /**
   * Opens the breaker: integration `open`, a `circuit_breaker` mitigation row, audit `breaker.open`
   * as the requester with their trace id. Idempotent (a retry finds its own row). A row left
   * active by a workflow that no longer runs is ended as superseded, in the same transaction.
   */
  openBreaker(input: OpenBreakerActivityInput): Promise<{ supersededMitigationId: string | null }>;
  /** Cool-down over: `half_open`, audited. False when this run's mitigation is no longer active. */
  markBreakerHalfOpen(ref: BreakerRef & { cycle: number }): Promise<boolean>;
  /** Probing failed: back to `open`, audited with the failing probe. False when no longer active. */
  reopenBreaker(ref: BreakerRef & { probe: ProbeResult; nextCoolDownMs: number }): Promise<boolean>;
  /** Closes the breaker and ends the mitigation, audited (`breaker.close` or `breaker.force_close`). Idempotent. */
  closeBreaker(input: CloseBreakerActivityInput): Promise<boolean>;
  /** One probe of the integration's current health URL (read from the database each time). */
  probeIntegration(input: { tenantId: string; integrationId: string }): Promise<ProbeResult>;
}

export function createBreakerActivities({ orm }: BreakerActivityDeps): BreakerActivities {
  return {
    openBreaker(input) {
      return inTenantTransaction(orm, { tenantId: input.tenantId }, async (em) => {
        // One opening at a time per integration, across workers.
        const integration = await lockIntegration(em, input.integrationId);
        const active = await findActiveMitigation(em, 'circuit_breaker', input.integrationId);
        if (active?.id === input.mitigationId) return { supersededMitigationId: null };
        const now = new Date();
        if (active) await endSupersededMitigation(em, active, input.mitigationId, now);
        const mitigation = newMitigation({
          id: input.mitigationId,
          tenantId: input.tenantId,
          kind: 'circuit_breaker',
          targetId: input.integrationId,
          workflowId: input.workflowId,
          reason: input.reason,
          requester: input.requester,
          // No state to restore: a breaker ends closed, whatever it was before (probes passed, or a
          // person said the integration works). A state left by a superseded run is not worth
          // returning to; `stateBefore` stays in the `breaker.open` audit event for the record.
          snapshot: { coolDownSeconds: input.coolDownMs / 1000 },
          startedAt: now,
          endsAt: null,
        });
        await em.insert(MitigationSchema, mitigation);
        const stateBefore = integration.breakerState;
        setBreakerState(integration, 'open', input.reason, now);
        await em.flush();
        await appendAuditEvent(em, {
          tenantId: input.tenantId,
          actor: requesterActor(input.requester),
          action: 'breaker.open',
          resourceType: 'Integration',
          resourceId: input.integrationId,
          reason: input.reason,
          details: {
            integration: integration.name,
            mitigationId: input.mitigationId,
            workflowId: input.workflowId,
            coolDownSeconds: input.coolDownMs / 1000,
            ...(input.maxCoolDownMs === undefined ? {} : { maxCoolDownSeconds: input.maxCoolDownMs / 1000 }),
            stateBefore,
            ...(active ? { supersededMitigationId: active.id } : {}),
          },
          requestId: input.requester.requestId,
          traceId: input.requester.traceId,
        });
        return { supersededMitigationId: active?.id ?? null };
      });
    },

    markBreakerHalfOpen(ref) {
      return inTenantTransaction(orm, { tenantId: ref.tenantId }, (em) =>
        moveBreaker(em, ref, {
          state: 'half_open',
          reason: 'cool-down elapsed: probing the health URL',
          action: 'breaker.half_open',
          details: { cycle: ref.cycle },
        }),
      );
    },

    reopenBreaker(ref) {
      const reason = `health probe failed: ${ref.probe.error ?? `HTTP ${ref.probe.status}`}`;
      return inTenantTransaction(orm, { tenantId: ref.tenantId }, (em) =>
        moveBreaker(em, ref, {
          state: 'open',
          reason,
          action: 'breaker.reopen',
          auditReason: reason,
          details: { probe: { ...ref.probe }, nextCoolDownSeconds: ref.nextCoolDownMs / 1000 },
        }),
      );
    },

    closeBreaker(input) {
      return inTenantTransaction(orm, { tenantId: input.tenantId }, async (em) => {
        const integration = await lockIntegration(em, input.integrationId);
        const mitigation = await ownMitigation(em, input);
        if (!mitigation) return false; // already closed (a retry after commit)
        const now = new Date();
        const reason =
          input.by === 'probe'
            ? `${input.probes.length} consecutive health probes passed`
            : `force-closed by ${input.closedBy.label}: ${input.reason}`;
        const stateBefore = closeBreakerRows(integration, mitigation, reason, now);
        await em.flush();
        const common = {
          tenantId: input.tenantId,
          resourceType: 'Integration',
          resourceId: input.integrationId,
        };
        const details = {
          integration: integration.name,
          mitigationId: input.mitigationId,
          workflowId: input.workflowId,
          stateBefore,
          openedBy: input.requester.label,
        };
        if (input.by === 'probe') {
          await appendAuditEvent(em, {
            ...common,
            actor: BREAKER_WORKFLOW_ACTOR,
            action: 'breaker.close',
            outcome: 'success',
            reason,
            details: { ...details, probes: input.probes.map((p) => ({ ...p })) },
            requestId: input.requester.requestId,
            traceId: input.requester.traceId,
          });
        } else {
          await appendAuditEvent(em, {
            ...common,
            actor: requesterActor(input.closedBy),
            action: 'breaker.force_close',
            outcome: 'success',
            reason: input.reason,
            details: { ...details, openingTraceId: input.requester.traceId },
            requestId: input.closedBy.requestId,
            traceId: input.closedBy.traceId,
          });
        }
        return true;
      });
    },

    async probeIntegration({ tenantId, integrationId }) {
      const integration = await inTenantTransaction(orm, { tenantId }, (em) =>
        em.findOne(IntegrationSchema, { id: integrationId }),
      );
      if (!integration) throw ApplicationFailure.nonRetryable('integration not found', 'IntegrationNotFound');
      return probeHealthUrl(integration.healthUrl);
    },
  };
}
