import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  circuitBreakerWorkflowId,
  integrationAvailabilityFlagKey,
  type BreakerView,
  type CircuitBreakerWorkflowInput,
  type StartedMitigation,
} from '@rc/contracts';
import { defaultPayloadConverter } from '@temporalio/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ApiClient, ApiResponse } from '../testing/api-client';
import { startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane';
import { breakerAuditOf, type BreakerAuditRow } from './breakers.test-helpers';

/**
 * Runbook: seed 002 step 3 — a breaker whose integration stays down for a long time. After 20
 * failed half-open phases the breaker's workflow continues as new (a fresh run, same workflow
 * id) so its history stays small; for the people using it nothing changes: the same breaker,
 * the same single mitigation, the same audit trail, and it still closes by hand or by probes.
 *
 * The operator asks for a 1 s cool-down that never backs off (`maxCoolDownSeconds: 1`), so 20
 * phases pass in about 20 s instead of hours. Real PostgreSQL, real Temporal and worker, real
 * HTTP health endpoints. The three breakers run concurrently to keep the file short.
 */

/** Failed half-open phases per run (the workflow's `CYCLES_PER_RUN`). */
const CYCLES_PER_RUN = 20;
/** 20 phases of ~1 s each, plus a generous margin for a loaded machine. */
const NEW_RUN_DEADLINE_MS = 75_000;
const TEST_TIMEOUT_MS = 150_000;

/** Health endpoints of several fake integrations, one path each: 503 until marked healthy. */
interface FakeIntegrations {
  urlOf(name: string): string;
  /** Holds the `nth` request for `name` until `release()`; `arrived` resolves when it comes. */
  holdAnswer(name: string, nth: number): { arrived: Promise<void>; release(): void };
  healthy: Set<string>;
  /** Status codes answered per integration, in order. */
  answers: Map<string, number[]>;
  close(): Promise<void>;
}

async function startFakeIntegrations(): Promise<FakeIntegrations> {
  const healthy = new Set<string>();
  const answers = new Map<string, number[]>();
  const requests = new Map<string, number>();
  const holds = new Map<string, { nth: number; arrive: () => void; released: Promise<void> }>();
  const server = http.createServer(async (req, res) => {
    const name = /^\/health\/([a-z0-9-]+)$/.exec(req.url ?? '')?.[1];
    if (!name) {
      res.writeHead(404).end();
      return;
    }
    const nth = (requests.get(name) ?? 0) + 1;
    requests.set(name, nth);
    const hold = holds.get(name);
    if (hold?.nth === nth) {
      hold.arrive();
      await hold.released;
    }
    const status = healthy.has(name) ? 200 : 503;
    answers.set(name, [...(answers.get(name) ?? []), status]);
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: status === 200 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    urlOf: (name) => `${base}/health/${name}`,
    holdAnswer(name, nth) {
      let arrive = () => {};
      let release = () => {};
      const arrived = new Promise<void>((resolve) => (arrive = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      holds.set(name, { nth, arrive, released });
      return { arrived, release };
    },
    healthy,
    answers,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let cp: TestControlPlane;
let integrations: FakeIntegrations;
let operator: ApiClient;
/** acme's application reading OFREP with a viewer API token. */
let appToken: string;

beforeAll(async () => {
  [cp, integrations] = await Promise.all([
    startTestControlPlane({ withWorker: true }),
    startFakeIntegrations(),
  ]);
  operator = await cp.signedIn(cp.acme, 'operator');
  const admin = await cp.signedIn(cp.acme, 'tenant_admin');
  const token = await admin.call<{ secret: string }>('apiTokens.create', {
    name: 'billing app',
    role: 'viewer',
  });
  expect(token.status).toBe(200);
  appToken = token.data.secret;
}, 180_000);

afterAll(async () => {
  await cp?.stop();
  await integrations?.close();
});

function breakerAudit(integrationId: string): Promise<BreakerAuditRow[]> {
  return breakerAuditOf(cp.ownerQuery, integrationId);
}

async function countAudit(integrationId: string, action: string): Promise<number> {
  const [row] = await cp.ownerQuery<{ n: number }>(
    'select count(*)::int as n from audit_events where resource_id = $1 and action = $2',
    [integrationId, action],
  );
  return row!.n;
}

async function breakerOf(integrationId: string): Promise<BreakerView> {
  const listed = await operator.call<BreakerView[]>('breakers.list');
  expect(listed.status).toBe(200);
  const breaker = listed.data.find((b) => b.integrationId === integrationId);
  if (!breaker) throw new Error(`breaker ${integrationId} not listed`);
  return breaker;
}

/** What acme's application reads for `integration.<name>.available`, over OFREP. */
async function availableFlag(name: string): Promise<boolean> {
  const response = await fetch(`${cp.url}/ofrep/v1/evaluate/flags/${integrationAvailabilityFlagKey(name)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${appToken}` },
    body: '{"context":{}}',
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { value: boolean }).value;
}

interface OpenedBreaker {
  name: string;
  integrationId: string;
  workflowId: string;
  mitigationId: string;
  openingTrace: string;
  firstRunId: string;
}

/** A fresh acme integration whose health URL answers 503, and its breaker opened by the operator. */
async function openBreakerOnFailingIntegration(name: string): Promise<OpenedBreaker> {
  const integrationId = randomUUID();
  await cp.ownerQuery('insert into integrations (id, tenant_id, name, health_url) values ($1, $2, $3, $4)', [
    integrationId,
    cp.acme.tenantId,
    name,
    integrations.urlOf(name),
  ]);
  const opened = await operator.call<StartedMitigation>('breakers.open', {
    integrationId,
    reason: `${name} answers 503`,
    coolDownSeconds: 1,
    maxCoolDownSeconds: 1,
  });
  expect(opened.status, JSON.stringify(opened.error)).toBe(200);
  expect(opened.data.alreadyRunning).toBe(false);
  const workflowId = circuitBreakerWorkflowId(cp.acme.tenantId, integrationId);
  const { runId } = await cp.deps.temporal.workflow.getHandle(workflowId).describe();
  return {
    name,
    integrationId,
    workflowId,
    mitigationId: opened.data.mitigation.id,
    openingTrace: opened.headers.get('x-trace-id')!,
    firstRunId: runId,
  };
}

/** Waits until the workflow id runs a run other than the first, and answers its run id. */
async function waitForNextRun(breaker: OpenedBreaker): Promise<string> {
  let current = breaker.firstRunId;
  await vi.waitFor(
    async () => {
      current = (await cp.deps.temporal.workflow.getHandle(breaker.workflowId).describe()).runId;
      expect(current).not.toBe(breaker.firstRunId);
    },
    { timeout: NEW_RUN_DEADLINE_MS, interval: 250 },
  );
  return current;
}

/** The first run's history ends in continue-as-new, towards `nextRunId`, carrying the breaker on. */
async function expectContinuedAsNew(breaker: OpenedBreaker, nextRunId: string): Promise<void> {
  const { temporal } = cp.deps;
  const first = temporal.workflow.getHandle(breaker.workflowId, breaker.firstRunId);
  expect((await first.describe()).status.name).toBe('CONTINUED_AS_NEW');
  const firstEvents = (await first.fetchHistory()).events ?? [];
  const last = firstEvents.at(-1)?.workflowExecutionContinuedAsNewEventAttributes;
  expect(last?.newExecutionRunId).toBe(nextRunId);

  // The new run starts from the same input (same mitigation, same cap) and the carried state.
  const nextEvents =
    (await temporal.workflow.getHandle(breaker.workflowId, nextRunId).fetchHistory()).events ?? [];
  const started = nextEvents[0]?.workflowExecutionStartedEventAttributes;
  expect(started?.continuedExecutionRunId).toBe(breaker.firstRunId);
  const [input, carried] = (started?.input?.payloads ?? []).map((p) =>
    defaultPayloadConverter.fromPayload(p),
  );
  expect(input).toMatchObject({
    tenantId: cp.acme.tenantId,
    integrationId: breaker.integrationId,
    mitigationId: breaker.mitigationId,
    coolDownMs: 1_000,
    maxCoolDownMs: 1_000,
  } satisfies Partial<CircuitBreakerWorkflowInput>);
  expect(carried).toEqual({ opened: true, failedCycles: CYCLES_PER_RUN });
}

/**
 * Still the one breaker the operator opened: one active mitigation row (the opening one), not
 * closed, unavailable to applications, and every audit event about it names that mitigation,
 * that workflow and the opening trace; opened once, never a second time by the new run.
 */
async function expectSameOpenBreaker(breaker: OpenedBreaker): Promise<void> {
  const rows = await cp.ownerQuery<{ id: string; status: string }>(
    'select id, status from mitigations where target_id = $1',
    [breaker.integrationId],
  );
  expect(rows).toEqual([{ id: breaker.mitigationId, status: 'active' }]);
  const view = await breakerOf(breaker.integrationId);
  expect(['open', 'half_open']).toContain(view.state);
  expect(view.mitigation?.id).toBe(breaker.mitigationId);
  expect(await availableFlag(breaker.name)).toBe(false);

  const events = await breakerAudit(breaker.integrationId);
  expect(events.filter((e) => e.action === 'breaker.open')).toHaveLength(1);
  expect(events[0]!.action).toBe('breaker.open');
  for (const event of events) {
    expect(event.details, event.action).toMatchObject({
      mitigationId: breaker.mitigationId,
      workflowId: breaker.workflowId,
    });
    expect(event.trace_id, event.action).toBe(breaker.openingTrace);
  }
  // Phases keep their numbering across runs: 1..20 in the first run, 21.. in the next.
  const cycles = events.filter((e) => e.action === 'breaker.half_open').map((e) => e.details.cycle);
  expect(cycles).toEqual(cycles.map((_, i) => i + 1));
  expect(cycles.length).toBeGreaterThan(CYCLES_PER_RUN);
  const reopen = events.find((e) => e.action === 'breaker.reopen')!;
  expect(reopen.details.nextCoolDownSeconds).toBe(1);
  expect(events[0]!.details).toMatchObject({ coolDownSeconds: 1, maxCoolDownSeconds: 1 });
}

/** Waits for the first half-open phase of the second run (phase 21). */
async function waitForPhase(integrationId: string, cycle: number): Promise<void> {
  await vi.waitFor(
    async () => {
      const rows = await cp.ownerQuery(
        `select 1 from audit_events where resource_id = $1 and action = 'breaker.half_open'
          and (details->>'cycle')::int = $2`,
        [integrationId, cycle],
      );
      expect(rows).toHaveLength(1);
    },
    { timeout: 15_000, interval: 100 },
  );
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(what)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

async function expectAuditChainVerifies(): Promise<void> {
  const auditor = await cp.signedIn(cp.acme, 'auditor');
  const verified = await auditor.call<{ ok: boolean }>('audit.verify');
  expect(verified.status).toBe(200);
  expect(verified.data.ok).toBe(true);
}

describe.concurrent('circuit breakers (L1) past one workflow run: continue-as-new', () => {
  it(
    'an integration down for more than 20 half-open phases: the workflow continues as new with the same single mitigation and audit trail, and an operator force-close reaches the new run and closes the breaker',
    async () => {
      const breaker = await openBreakerOnFailingIntegration('fx-rates');
      const nextRunId = await waitForNextRun(breaker);
      await expectContinuedAsNew(breaker, nextRunId);
      await waitForPhase(breaker.integrationId, CYCLES_PER_RUN + 1);
      await expectSameOpenBreaker(breaker);

      // Opening it again joins the running breaker (now the new run): same mitigation, nothing new.
      const again = await operator.call<StartedMitigation>('breakers.open', {
        integrationId: breaker.integrationId,
        reason: 'still 503, opening again',
        coolDownSeconds: 1,
        maxCoolDownSeconds: 1,
      });
      expect(again.status, JSON.stringify(again.error)).toBe(200);
      expect(again.data).toMatchObject({ alreadyRunning: true, mitigation: { id: breaker.mitigationId } });

      const closed = await operator.call<BreakerView>('breakers.forceClose', {
        integrationId: breaker.integrationId,
        reason: 'provider confirmed a long outage; we stop calling it by feature flag instead',
      });
      expect(closed.status, JSON.stringify(closed.error)).toBe(200);
      expect(closed.data).toMatchObject({ state: 'closed', mitigation: null });
      expect(await availableFlag(breaker.name)).toBe(true);

      // The new run took the signal and ended; no third run.
      const handle = cp.deps.temporal.workflow.getHandle(breaker.workflowId);
      const description = await handle.describe();
      expect(description.runId).toBe(nextRunId);
      expect(description.status.name).toBe('COMPLETED');
      expect(await handle.result()).toEqual({ mitigationId: breaker.mitigationId, closedBy: 'force' });
      const nextHistory = (
        await cp.deps.temporal.workflow.getHandle(breaker.workflowId, nextRunId).fetchHistory()
      ).events;
      expect(nextHistory?.filter((e) => e.workflowExecutionSignaledEventAttributes)).toHaveLength(1);

      const [mitigation] = await cp.ownerQuery<{ status: string; end_reason: string }>(
        'select status, end_reason from mitigations where id = $1',
        [breaker.mitigationId],
      );
      expect(mitigation!.status).toBe('ended');
      expect(mitigation!.end_reason).toContain('provider confirmed a long outage');
      const [integration] = await cp.ownerQuery<{ breaker_state: string }>(
        'select breaker_state from integrations where id = $1',
        [breaker.integrationId],
      );
      expect(integration!.breaker_state).toBe('closed');

      const events = await breakerAudit(breaker.integrationId);
      expect(events.filter((e) => e.action === 'breaker.force_close')).toHaveLength(1);
      expect(events.at(-1)).toMatchObject({
        action: 'breaker.force_close',
        actor_kind: 'user',
        actor_id: cp.acme.users[cp.acme.emails.operator],
        trace_id: closed.headers.get('x-trace-id'),
        details: { mitigationId: breaker.mitigationId, openingTraceId: breaker.openingTrace },
      });
      await expectAuditChainVerifies();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'an integration that recovers after the workflow continued as new is closed by the new run’s probes',
    async () => {
      const breaker = await openBreakerOnFailingIntegration('geo-lookup');
      const nextRunId = await waitForNextRun(breaker);
      await expectContinuedAsNew(breaker, nextRunId);
      await waitForPhase(breaker.integrationId, CYCLES_PER_RUN + 1);
      await expectSameOpenBreaker(breaker);

      integrations.healthy.add(breaker.name);
      await vi.waitFor(
        async () => {
          const view = await breakerOf(breaker.integrationId);
          expect(view).toMatchObject({ state: 'closed', mitigation: null });
        },
        { timeout: 20_000, interval: 250 },
      );
      expect(await availableFlag(breaker.name)).toBe(true);
      expect(integrations.answers.get(breaker.name)!.slice(-3)).toEqual([200, 200, 200]);

      const handle = cp.deps.temporal.workflow.getHandle(breaker.workflowId);
      expect(await handle.result()).toEqual({ mitigationId: breaker.mitigationId, closedBy: 'probe' });
      expect((await handle.describe()).runId).toBe(nextRunId);

      const [mitigation] = await cp.ownerQuery<{ status: string; end_reason: string }>(
        'select status, end_reason from mitigations where id = $1',
        [breaker.mitigationId],
      );
      expect(mitigation).toEqual({ status: 'ended', end_reason: '3 consecutive health probes passed' });
      const events = await breakerAudit(breaker.integrationId);
      expect(events.map((e) => e.action).slice(-2)).toEqual(['breaker.half_open', 'breaker.close']);
      expect(events.at(-1)).toMatchObject({
        actor_kind: 'system',
        trace_id: breaker.openingTrace,
        details: { mitigationId: breaker.mitigationId, workflowId: breaker.workflowId },
      });
      await expectAuditChainVerifies();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a force-close that arrives while the 20th failed phase is being recorded, the last step before continue-as-new, is not lost: the first run closes the breaker instead of continuing',
    async () => {
      const name = 'kyc-check';
      // Hold the 20th probe's answer, so the test acts at a known point of the first run.
      const held = integrations.holdAnswer(name, CYCLES_PER_RUN);
      const breaker = await openBreakerOnFailingIntegration(name);
      await withDeadline(held.arrived, NEW_RUN_DEADLINE_MS, 'the 20th probe never came');
      expect(await countAudit(breaker.integrationId, 'breaker.half_open')).toBe(CYCLES_PER_RUN);

      // Lock the integration row as the owner: recording the failed phase (reopenBreaker) waits on it.
      const locker = new pg.Client({ connectionString: cp.ownerUrl });
      await locker.connect();
      let closing: Promise<ApiResponse<BreakerView>> | null = null;
      try {
        await locker.query('begin');
        await locker.query('select 1 from integrations where id = $1 for update', [breaker.integrationId]);
        held.release();
        const first = cp.deps.temporal.workflow.getHandle(breaker.workflowId, breaker.firstRunId);
        await vi.waitFor(
          async () => {
            const events = (await first.fetchHistory()).events ?? [];
            const reopens = events.filter(
              (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'reopenBreaker',
            );
            expect(reopens).toHaveLength(CYCLES_PER_RUN);
          },
          { timeout: 15_000, interval: 50 },
        );

        // The operator force-closes now: the signal reaches the first run while it records phase 20.
        closing = operator.call<BreakerView>('breakers.forceClose', {
          integrationId: breaker.integrationId,
          reason: 'closing at the run boundary',
        });
        await vi.waitFor(
          async () => {
            const events = (await first.fetchHistory()).events ?? [];
            expect(events.some((e) => e.workflowExecutionSignaledEventAttributes)).toBe(true);
          },
          { timeout: 15_000, interval: 50 },
        );
        expect(await countAudit(breaker.integrationId, 'breaker.reopen')).toBe(CYCLES_PER_RUN - 1);
      } finally {
        await locker.query('commit').catch(() => undefined);
        await locker.end();
      }

      const closed = await closing!;
      expect(closed.status, JSON.stringify(closed.error)).toBe(200);
      expect(closed.data).toMatchObject({ state: 'closed', mitigation: null });
      expect(await availableFlag(name)).toBe(true);

      // The first run took it and ended: no continue-as-new, no second run.
      const handle = cp.deps.temporal.workflow.getHandle(breaker.workflowId);
      expect(await handle.result()).toEqual({ mitigationId: breaker.mitigationId, closedBy: 'force' });
      const description = await handle.describe();
      expect(description.runId).toBe(breaker.firstRunId);
      expect(description.status.name).toBe('COMPLETED');
      const [mitigation] = await cp.ownerQuery<{ status: string; end_reason: string }>(
        'select status, end_reason from mitigations where id = $1',
        [breaker.mitigationId],
      );
      expect(mitigation!.status).toBe('ended');
      expect(mitigation!.end_reason).toContain('closing at the run boundary');
      // Phase 20 recorded, then closed once; nothing after it.
      const actions = (await breakerAudit(breaker.integrationId)).map((e) => e.action);
      expect(actions.filter((a) => a === 'breaker.reopen')).toHaveLength(CYCLES_PER_RUN);
      expect(actions.filter((a) => a === 'breaker.half_open')).toHaveLength(CYCLES_PER_RUN);
      expect(actions.slice(-2)).toEqual(['breaker.reopen', 'breaker.force_close']);
      expect(actions.filter((a) => a === 'breaker.open')).toHaveLength(1);
    },
    TEST_TIMEOUT_MS,
  );
});
