import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { circuitBreakerWorkflowId, type BreakerView, type StartedMitigation } from '@rc/contracts';
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ApiClient } from '../testing/api-client';
import { startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane';
import { breakerAuditOf, type BreakerAuditRow } from './breakers.test-helpers';

/**
 * Runbook: seed 002 step 3 / seed 003 "api.5xx" — an operator opens the circuit breaker of a
 * failing external integration; the breaker probes the integration's health URL after each
 * cool-down and closes once it answers again; a person may close it by hand.
 * Real PostgreSQL, real Temporal and worker, and a real HTTP server standing for the integration.
 */

/** The payment provider's health endpoint: answers 503 until `recover()`, then 200. */
interface FakeIntegration {
  url: string;
  healthy: boolean;
  /** Status codes answered on /health, in order. */
  answers: number[];
  close(): Promise<void>;
}

async function startFakeIntegration(): Promise<FakeIntegration> {
  const state: FakeIntegration = { url: '', healthy: false, answers: [], close: async () => {} };
  const server = http.createServer((req, res) => {
    if (req.url !== '/health') {
      res.writeHead(404).end();
      return;
    }
    const status = state.healthy ? 200 : 503;
    state.answers.push(status);
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: state.healthy }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

let cp: TestControlPlane;
let provider: FakeIntegration;
let operator: ApiClient;

beforeAll(async () => {
  [cp, provider] = await Promise.all([startTestControlPlane({ withWorker: true }), startFakeIntegration()]);
  operator = await cp.signedIn(cp.acme, 'operator');
}, 180_000);

afterAll(async () => {
  await cp?.stop();
  await provider?.close();
});

/** A fresh integration of `tenant` whose health URL is `healthUrl`, written as the owner (arrangement only). */
async function addIntegration(tenantId: string, name: string, healthUrl: string): Promise<string> {
  const id = randomUUID();
  await cp.ownerQuery('insert into integrations (id, tenant_id, name, health_url) values ($1, $2, $3, $4)', [
    id,
    tenantId,
    name,
    healthUrl,
  ]);
  return id;
}

async function breakerOf(client: ApiClient, integrationId: string): Promise<BreakerView> {
  const listed = await client.call<BreakerView[]>('breakers.list');
  expect(listed.status).toBe(200);
  const breaker = listed.data.find((b) => b.integrationId === integrationId);
  if (!breaker) throw new Error(`breaker ${integrationId} not listed`);
  return breaker;
}

function breakerAudit(integrationId: string): Promise<BreakerAuditRow[]> {
  return breakerAuditOf(cp.ownerQuery, integrationId);
}

async function workflowStatus(workflowId: string): Promise<string | null> {
  try {
    return (await cp.deps.temporal.workflow.getHandle(workflowId).describe()).status.name;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
}

describe('circuit breakers (L1): open, probe at half-open, close', () => {
  it('an operator opens the breaker of a failing integration: it half-opens after each cool-down, reopens while probes fail, and closes once the integration recovers; every step audited with the opening trace id', async () => {
    const integrationId = cp.acme.integrations['payment-provider']!;
    await cp.ownerQuery('update integrations set health_url = $1 where id = $2', [
      provider.url,
      integrationId,
    ]);

    const opened = await operator.call<StartedMitigation>('breakers.open', {
      integrationId,
      reason: 'payment provider answers 5xx (seed 003 api.5xx)',
      coolDownSeconds: 1,
    });
    expect(opened.status).toBe(200);
    const openingTrace = opened.headers.get('x-trace-id');
    expect(openingTrace).toMatch(/^[0-9a-f]{32}$/);
    expect(opened.data.alreadyRunning).toBe(false);
    expect(opened.data.mitigation).toMatchObject({
      kind: 'circuit_breaker',
      targetId: integrationId,
      status: 'active',
      reason: 'payment provider answers 5xx (seed 003 api.5xx)',
      requestedBy: cp.acme.users[cp.acme.emails.operator],
      traceId: openingTrace,
      workflowId: circuitBreakerWorkflowId(cp.acme.tenantId, integrationId),
    });
    const mitigationId = opened.data.mitigation.id;
    // Opening has committed by the time the answer arrives.
    const justOpened = await breakerOf(operator, integrationId);
    expect(justOpened.mitigation?.id).toBe(mitigationId);
    expect(['open', 'half_open']).toContain(justOpened.state);

    // While the provider fails: half-open after the cool-down, a real probe gets 503, open again.
    await vi.waitFor(
      async () => {
        const actions = (await breakerAudit(integrationId)).map((e) => e.action);
        expect(actions).toContain('breaker.reopen');
      },
      { timeout: 30_000, interval: 200 },
    );
    expect(provider.answers).toContain(503);
    const stillOpen = await breakerOf(operator, integrationId);
    expect(stillOpen.mitigation?.id).toBe(mitigationId);
    expect(stillOpen.state).not.toBe('closed');

    // Opening again while it runs joins the running breaker: same mitigation, nothing new started.
    const again = await operator.call<StartedMitigation>('breakers.open', {
      integrationId,
      reason: 'still failing, opening again',
      coolDownSeconds: 1,
    });
    expect(again.status).toBe(200);
    expect(again.data.alreadyRunning).toBe(true);
    expect(again.data.mitigation.id).toBe(mitigationId);

    // The provider recovers: the next half-open phase probes 200s and closes the breaker.
    provider.healthy = true;
    await vi.waitFor(
      async () => {
        const breaker = await breakerOf(operator, integrationId);
        expect(breaker.state).toBe('closed');
        expect(breaker.mitigation).toBeNull();
      },
      { timeout: 60_000, interval: 250 },
    );
    expect(provider.answers.filter((s) => s === 200).length).toBeGreaterThanOrEqual(3);

    const [mitigation] = await cp.ownerQuery<{ status: string; ended_at: Date | null; end_reason: string }>(
      'select status, ended_at, end_reason from mitigations where id = $1',
      [mitigationId],
    );
    expect(mitigation).toMatchObject({ status: 'ended', end_reason: '3 consecutive health probes passed' });
    expect(mitigation!.ended_at).not.toBeNull();
    const [integration] = await cp.ownerQuery<{ breaker_state: string; breaker_reason: string }>(
      'select breaker_state, breaker_reason from integrations where id = $1',
      [integrationId],
    );
    expect(integration).toEqual({
      breaker_state: 'closed',
      breaker_reason: '3 consecutive health probes passed',
    });

    // The audit trail reads like the runbook, every event carrying the opening request's trace.
    const events = await breakerAudit(integrationId);
    const actions = events.map((e) => e.action);
    expect(actions[0]).toBe('breaker.open');
    expect(actions.at(-2)).toBe('breaker.half_open');
    expect(actions.at(-1)).toBe('breaker.close');
    expect(actions.slice(1, -2).join(' ')).toMatch(/^(breaker\.half_open breaker\.reopen ?)+$/);
    expect(actions.filter((a) => a === 'breaker.open')).toHaveLength(1);
    for (const event of events) expect(event.trace_id, event.action).toBe(openingTrace);
    expect(events[0]).toMatchObject({
      actor_kind: 'user',
      actor_id: cp.acme.users[cp.acme.emails.operator],
      role: 'operator',
      outcome: 'success',
      reason: 'payment provider answers 5xx (seed 003 api.5xx)',
    });
    expect(events[0]!.details).toMatchObject({ mitigationId, coolDownSeconds: 1, stateBefore: 'closed' });
    const reopen = events.find((e) => e.action === 'breaker.reopen')!;
    expect(reopen).toMatchObject({ actor_kind: 'system', reason: 'health probe failed: HTTP 503' });
    expect(reopen.details.probe).toMatchObject({ ok: false, status: 503 });
    expect(events.at(-1)).toMatchObject({ actor_kind: 'system', outcome: 'success' });
    expect(events.at(-1)!.details.probes).toHaveLength(3);

    // The workflow is done, and the audit chain still verifies.
    await vi.waitFor(
      async () =>
        expect(await workflowStatus(circuitBreakerWorkflowId(cp.acme.tenantId, integrationId))).toBe(
          'COMPLETED',
        ),
      { timeout: 10_000 },
    );
    const auditor = await cp.signedIn(cp.acme, 'auditor');
    const verified = await auditor.call<{ ok: boolean }>('audit.verify');
    expect(verified.data.ok).toBe(true);
  });

  it('an operator force-closes a breaker during its cool-down: closed at once, audited as that operator with their trace id, without probing', async () => {
    const hitsBefore = provider.answers.length;
    const integrationId = await addIntegration(cp.acme.tenantId, 'tax-service', provider.url);
    const opened = await operator.call<StartedMitigation>('breakers.open', {
      integrationId,
      reason: 'tax service times out',
      coolDownSeconds: 3600,
    });
    expect(opened.status).toBe(200);
    expect((await breakerOf(operator, integrationId)).state).toBe('open');

    const startedAt = Date.now();
    const closed = await operator.call<BreakerView>('breakers.forceClose', {
      integrationId,
      reason: 'vendor confirmed the fix on the bridge call',
    });
    expect(closed.status).toBe(200);
    // Far sooner than the hour-long cool-down: the signal closes it now.
    expect(Date.now() - startedAt).toBeLessThan(30_000);
    expect(closed.data).toMatchObject({
      integrationId,
      name: 'tax-service',
      state: 'closed',
      mitigation: null,
    });
    expect((await breakerOf(operator, integrationId)).state).toBe('closed');
    expect(provider.answers.length).toBe(hitsBefore);

    const [mitigation] = await cp.ownerQuery<{ status: string; end_reason: string }>(
      'select status, end_reason from mitigations where id = $1',
      [opened.data.mitigation.id],
    );
    expect(mitigation!.status).toBe('ended');
    expect(mitigation!.end_reason).toContain('vendor confirmed the fix on the bridge call');
    const events = await breakerAudit(integrationId);
    expect(events.map((e) => e.action)).toEqual(['breaker.open', 'breaker.force_close']);
    expect(events[1]).toMatchObject({
      actor_kind: 'user',
      actor_id: cp.acme.users[cp.acme.emails.operator],
      role: 'operator',
      outcome: 'success',
      reason: 'vendor confirmed the fix on the bridge call',
      trace_id: closed.headers.get('x-trace-id'),
    });
    expect(events[1]!.details).toMatchObject({ openingTraceId: opened.headers.get('x-trace-id') });
    expect(await workflowStatus(circuitBreakerWorkflowId(cp.acme.tenantId, integrationId))).toBe('COMPLETED');

    // Closing a closed breaker is a conflict, and changes nothing.
    const twice = await operator.call('breakers.forceClose', { integrationId, reason: 'once more' });
    expect(twice.status).toBe(409);
    expect(twice.error?.data.code).toBe('ERR_CONFLICT');
    expect(await breakerAudit(integrationId)).toHaveLength(2);
  });

  it('two open requests arriving at once (two operator sessions) get one breaker, one mitigation, one workflow', async () => {
    const integrationId = await addIntegration(cp.acme.tenantId, 'sms-gateway', provider.url);
    const second = await cp.signedIn(cp.acme, 'operator');
    const answers = await Promise.all(
      [operator, second].map((client) =>
        client.call<StartedMitigation>('breakers.open', {
          integrationId,
          reason: 'sms gateway returns 502',
          coolDownSeconds: 3600,
        }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(new Set(answers.map((a) => a.data.mitigation.id)).size).toBe(1);
    expect(answers.map((a) => a.data.alreadyRunning).sort()).toEqual([false, true]);
    const rows = await cp.ownerQuery('select id from mitigations where target_id = $1', [integrationId]);
    expect(rows).toHaveLength(1);
    expect((await breakerAudit(integrationId)).map((e) => e.action)).toEqual(['breaker.open']);

    const closed = await operator.call<BreakerView>('breakers.forceClose', {
      integrationId,
      reason: 'test over',
    });
    expect(closed.data.state).toBe('closed');
  });

  it('a breaker whose workflow was terminated by hand is still closed by a person, and opens again afresh', async () => {
    const integrationId = await addIntegration(cp.acme.tenantId, 'ledger-api', provider.url);
    const workflowId = circuitBreakerWorkflowId(cp.acme.tenantId, integrationId);
    const first = await operator.call<StartedMitigation>('breakers.open', {
      integrationId,
      reason: 'ledger api 5xx',
      coolDownSeconds: 3600,
    });
    expect(first.status).toBe(200);
    await cp.deps.temporal.workflow
      .getHandle(workflowId)
      .terminate('operator terminated it in the Temporal UI');

    // Opening again supersedes the orphaned mitigation: a new run, a new mitigation.
    const second = await operator.call<StartedMitigation>('breakers.open', {
      integrationId,
      reason: 'ledger api still 5xx',
      coolDownSeconds: 3600,
    });
    expect(second.status).toBe(200);
    expect(second.data.alreadyRunning).toBe(false);
    expect(second.data.mitigation.id).not.toBe(first.data.mitigation.id);
    const [orphan] = await cp.ownerQuery<{ status: string; end_reason: string }>(
      'select status, end_reason from mitigations where id = $1',
      [first.data.mitigation.id],
    );
    expect(orphan!.status).toBe('ended');
    expect(orphan!.end_reason).toContain('superseded');

    // Its workflow terminated too, the person's force-close closes it in the request itself.
    await cp.deps.temporal.workflow.getHandle(workflowId).terminate('terminated again');
    const closed = await operator.call<BreakerView>('breakers.forceClose', {
      integrationId,
      reason: 'closing by hand, no workflow left',
    });
    expect(closed.status).toBe(200);
    expect(closed.data).toMatchObject({ state: 'closed', mitigation: null });
    const events = await breakerAudit(integrationId);
    expect(events.map((e) => e.action)).toEqual(['breaker.open', 'breaker.open', 'breaker.force_close']);
    expect(events[2]!.details).toMatchObject({ workflowRunning: false });
    expect(events[2]!.trace_id).toBe(closed.headers.get('x-trace-id'));
    const active = await cp.ownerQuery(
      "select id from mitigations where target_id = $1 and status = 'active'",
      [integrationId],
    );
    expect(active).toHaveLength(0);
  });
});

describe('who may act on a breaker', () => {
  it('a viewer and an auditor may read breakers but not open or force-close one: 403, no workflow, nothing changed but a denied audit', async () => {
    const integrationId = await addIntegration(cp.acme.tenantId, 'fx-rates', provider.url);
    for (const role of ['viewer', 'auditor'] as const) {
      const client = await cp.signedIn(cp.acme, role);
      expect((await breakerOf(client, integrationId)).state).toBe('closed');
      const open = await client.call('breakers.open', { integrationId, reason: 'trying my luck' });
      expect(open.status).toBe(403);
      expect(open.error?.data.code).toBe('ERR_FORBIDDEN');
      const close = await client.call('breakers.forceClose', { integrationId, reason: 'trying my luck' });
      expect(close.status).toBe(403);
    }
    expect(await workflowStatus(circuitBreakerWorkflowId(cp.acme.tenantId, integrationId))).toBeNull();
    expect(await cp.ownerQuery('select id from mitigations where target_id = $1', [integrationId])).toEqual(
      [],
    );
    const [integration] = await cp.ownerQuery<{ breaker_state: string }>(
      'select breaker_state from integrations where id = $1',
      [integrationId],
    );
    expect(integration!.breaker_state).toBe('closed');
    const denied = await cp.ownerQuery<{ action: string; role: string }>(
      `select action, role from audit_events where tenant_id = $1 and outcome = 'denied' and action like 'breakers.%'
        order by seq`,
      [cp.acme.tenantId],
    );
    expect(denied).toEqual([
      { action: 'breakers.open', role: 'viewer' },
      { action: 'breakers.forceClose', role: 'viewer' },
      { action: 'breakers.open', role: 'auditor' },
      { action: 'breakers.forceClose', role: 'auditor' },
    ]);
  });

  it('an operator asking for a back-off cap below the cool-down gets 400 naming maxCoolDownSeconds, and nothing opens', async () => {
    const integrationId = await addIntegration(cp.acme.tenantId, 'geo-lookup', provider.url);
    const open = await operator.call('breakers.open', {
      integrationId,
      reason: 'cap below the cool-down',
      coolDownSeconds: 120,
      maxCoolDownSeconds: 60,
    });
    expect(open.status).toBe(400);
    expect(open.error?.data.code).toBe('ERR_VALIDATION');
    expect(open.error?.data.fieldErrors).toHaveProperty('maxCoolDownSeconds');
    expect(await workflowStatus(circuitBreakerWorkflowId(cp.acme.tenantId, integrationId))).toBeNull();
    expect(await cp.ownerQuery('select id from mitigations where target_id = $1', [integrationId])).toEqual(
      [],
    );
    expect(await breakerAudit(integrationId)).toEqual([]);
  });

  it("an operator of acme cannot open or force-close globex's breaker (404), sees none of it, and nothing of globex changes", async () => {
    const globexIntegration = cp.globex.integrations['payment-provider']!;
    const before = await cp.ownerQuery('select * from integrations where id = $1', [globexIntegration]);

    const open = await operator.call('breakers.open', {
      integrationId: globexIntegration,
      reason: 'not my tenant',
      coolDownSeconds: 1,
    });
    expect(open.status).toBe(404);
    expect(open.error?.data.code).toBe('ERR_NOT_FOUND');
    const close = await operator.call('breakers.forceClose', {
      integrationId: globexIntegration,
      reason: 'not my tenant',
    });
    expect(close.status).toBe(404);

    const listed = await operator.call<BreakerView[]>('breakers.list');
    expect(JSON.stringify(listed.data)).not.toContain(globexIntegration);
    expect(await cp.ownerQuery('select * from integrations where id = $1', [globexIntegration])).toEqual(
      before,
    );
    expect(
      await cp.ownerQuery('select id from mitigations where tenant_id = $1', [cp.globex.tenantId]),
    ).toEqual([]);
    for (const tenantId of [cp.acme.tenantId, cp.globex.tenantId]) {
      expect(await workflowStatus(circuitBreakerWorkflowId(tenantId, globexIntegration))).toBeNull();
    }
  });
});
