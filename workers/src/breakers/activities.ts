/**
 * Circuit breaker activities: every change to a breaker (the integration's `breaker_state`,
 * its mitigation row and the audit event) commits in one tenant transaction; the health
 * probe is a real HTTP GET. The workflow decides when each runs (workflows.ts).
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { LockMode } from '@mikro-orm/postgresql';
import type { EntityManager } from '@mikro-orm/postgresql';
import { appendAuditEvent, inTenantTransaction, type AuditActor } from '@rc/control-plane';
import type { MitigationRequester } from '@rc/contracts';
import { ApplicationFailure } from '@temporalio/common';

/** The columns of `Integration` (control-plane/src/catalog/entities.ts) these activities use. */
interface IntegrationRow {
  id: string;
  tenantId: string;
  name: string;
  healthUrl: string;
  breakerState: 'closed' | 'open' | 'half_open';
  breakerReason: string | null;
  breakerChangedAt: Date | null;
}

/** The columns of `Mitigation` (control-plane/src/mitigations/entities.ts). */
interface MitigationRow {
  id: string;
  tenantId: string;
  kind: 'degraded_mode' | 'circuit_breaker';
  targetId: string;
  workflowId: string;
  status: 'active' | 'ended';
  reason: string;
  requestedBy: string;
  requestedByLabel: string;
  traceId: string | null;
  snapshot: Record<string, unknown>;
  startedAt: Date;
  endsAt: Date | null;
  endedAt: Date | null;
  endReason: string | null;
}

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

function requesterActor(requester: MitigationRequester): AuditActor {
  return { kind: requester.kind, id: requester.id, label: requester.label, role: requester.role };
}

async function lockIntegration(em: EntityManager, integrationId: string): Promise<IntegrationRow> {
  const integration = await em.findOne<IntegrationRow>(
    'Integration',
    { id: integrationId },
    { lockMode: LockMode.PESSIMISTIC_WRITE },
  );
  // Not found also covers "another tenant's integration": RLS and the tenant filter hide it.
  if (!integration) throw ApplicationFailure.nonRetryable('integration not found', 'IntegrationNotFound');
  return integration;
}

function activeBreakerMitigation(em: EntityManager, integrationId: string) {
  return em.findOne<MitigationRow>('Mitigation', {
    kind: 'circuit_breaker',
    targetId: integrationId,
    status: 'active',
  });
}

/** This run's mitigation, if it is still the active one (the breaker is still this run's to change). */
async function ownMitigation(em: EntityManager, ref: BreakerRef): Promise<MitigationRow | null> {
  const mitigation = await em.findOne<MitigationRow>('Mitigation', { id: ref.mitigationId });
  return mitigation?.status === 'active' ? mitigation : null;
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
        const active = await activeBreakerMitigation(em, input.integrationId);
        if (active?.id === input.mitigationId) return { supersededMitigationId: null };
        const now = new Date();
        if (active) {
          active.status = 'ended';
          active.endedAt = now;
          active.endReason = `superseded by mitigation ${input.mitigationId}: its workflow was no longer running`;
          await em.flush();
        }
        const mitigation: MitigationRow = {
          id: input.mitigationId,
          tenantId: input.tenantId,
          kind: 'circuit_breaker',
          targetId: input.integrationId,
          workflowId: input.workflowId,
          status: 'active',
          reason: input.reason,
          requestedBy: input.requester.id,
          requestedByLabel: input.requester.label,
          traceId: input.requester.traceId,
          snapshot: {
            breakerStateBefore: integration.breakerState,
            coolDownSeconds: input.coolDownMs / 1000,
          },
          startedAt: now,
          endsAt: null,
          endedAt: null,
          endReason: null,
        };
        await em.insert('Mitigation', mitigation);
        const stateBefore = integration.breakerState;
        integration.breakerState = 'open';
        integration.breakerReason = input.reason;
        integration.breakerChangedAt = now;
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
      return inTenantTransaction(orm, { tenantId: ref.tenantId }, async (em) => {
        const integration = await lockIntegration(em, ref.integrationId);
        if (!(await ownMitigation(em, ref))) return false;
        if (integration.breakerState === 'half_open') return true; // a retry after commit
        integration.breakerState = 'half_open';
        integration.breakerReason = 'cool-down elapsed: probing the health URL';
        integration.breakerChangedAt = new Date();
        await em.flush();
        await appendAuditEvent(em, {
          tenantId: ref.tenantId,
          actor: BREAKER_WORKFLOW_ACTOR,
          action: 'breaker.half_open',
          resourceType: 'Integration',
          resourceId: ref.integrationId,
          details: {
            integration: integration.name,
            mitigationId: ref.mitigationId,
            workflowId: ref.workflowId,
            cycle: ref.cycle,
            openedBy: ref.requester.label,
          },
          requestId: ref.requester.requestId,
          traceId: ref.requester.traceId,
        });
        return true;
      });
    },

    reopenBreaker(ref) {
      return inTenantTransaction(orm, { tenantId: ref.tenantId }, async (em) => {
        const integration = await lockIntegration(em, ref.integrationId);
        if (!(await ownMitigation(em, ref))) return false;
        if (integration.breakerState === 'open') return true; // a retry after commit
        const failure = ref.probe.error ?? `HTTP ${ref.probe.status}`;
        integration.breakerState = 'open';
        integration.breakerReason = `health probe failed: ${failure}`;
        integration.breakerChangedAt = new Date();
        await em.flush();
        await appendAuditEvent(em, {
          tenantId: ref.tenantId,
          actor: BREAKER_WORKFLOW_ACTOR,
          action: 'breaker.reopen',
          resourceType: 'Integration',
          resourceId: ref.integrationId,
          reason: `health probe failed: ${failure}`,
          details: {
            integration: integration.name,
            mitigationId: ref.mitigationId,
            workflowId: ref.workflowId,
            probe: { ...ref.probe },
            nextCoolDownSeconds: ref.nextCoolDownMs / 1000,
            openedBy: ref.requester.label,
          },
          requestId: ref.requester.requestId,
          traceId: ref.requester.traceId,
        });
        return true;
      });
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
        mitigation.status = 'ended';
        mitigation.endedAt = now;
        mitigation.endReason = reason;
        const stateBefore = integration.breakerState;
        integration.breakerState = 'closed';
        integration.breakerReason = reason;
        integration.breakerChangedAt = now;
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
        em.findOne<IntegrationRow>('Integration', { id: integrationId }),
      );
      if (!integration) throw ApplicationFailure.nonRetryable('integration not found', 'IntegrationNotFound');
      return probeHealthUrl(integration.healthUrl);
    },
  };
}
