import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { workflowBundlePath } from '@rc/ops/test/harness';
import type { MitigationView, StartedMitigation } from '@rc/contracts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../app';
import { ApiClient } from '../testing/api-client';
import { startTestControlPlane, TEST_PASSWORD, type TestControlPlane } from '../testing/test-control-plane';
import {
  arrangeModule,
  auditOf,
  degradedFlags,
  featuresOfEachKind,
  flagsOf,
  memberRequest,
  mitigationsOf,
  originalFlags,
  waitForEndedMitigation,
} from './degraded-mode.test-helpers';
import { startDegradedMode } from './service';

/**
 * Durable orchestration (invariant 5): degraded mode's restore happens on time even when the
 * worker running it is killed mid-wait, and whatever happens to the control plane that started it.
 */
const ROOT = path.resolve(import.meta.dirname, '../../..');
const WORKER_ENTRY = 'control-plane/src/mitigations/worker-process.fixture.ts';
/** "On time": the restore commits within this long after `ends_at`. */
const ON_TIME_MS = 5_000;

interface WorkerProcess {
  child: ChildProcess;
  /** Resolves once the worker polls its task queue. */
  ready: Promise<void>;
  /** The signal (or exit code) the process ended with. */
  exited: Promise<NodeJS.Signals | number | null>;
}

function spawnWorker(cp: TestControlPlane): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_ENTRY], {
    cwd: ROOT,
    env: {
      ...process.env,
      APP_DATABASE_URL: cp.appUrl,
      TEMPORAL_ADDRESS: cp.config.temporal.address,
      TEMPORAL_TASK_QUEUE: cp.config.temporal.taskQueue,
      WORKFLOW_BUNDLE_PATH: workflowBundlePath(),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('polling')) resolve();
    });
    void exited.then((how) => reject(new Error(`worker process ended (${how}) before polling:\n${stderr}`)));
  });
  return { child, ready, exited };
}

describe('degraded mode when the worker is killed', () => {
  let cp: TestControlPlane;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    // No in-process worker: the only workers are the processes this test starts and kills.
    cp = await startTestControlPlane({ withWorker: false });
  }, 120_000);

  afterAll(async () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await cp?.stop();
  });

  it('a worker killed (SIGKILL) in the middle of the wait is replaced, and the new one restores exactly the snapshot on time', async () => {
    const ownerQuery: TestControlPlane['ownerQuery'] = (sql, params) => cp.ownerQuery(sql, params);
    const moduleId = await arrangeModule(ownerQuery, cp.acme, 'search', featuresOfEachKind('search'));
    const first = spawnWorker(cp);
    workers.push(first);
    await first.ready;

    // 20 s: long enough for the server to stop routing to the dead worker's sticky queue (10 s)
    // before the timer fires, so "on time" does not depend on that grace period.
    const request = memberRequest(cp.deps, cp.acme, 'operator');
    const { mitigation } = await startDegradedMode(request, {
      moduleId,
      reason: 'search latency: shed non-critical load',
      durationMs: 20_000,
    });
    const endsAt = Date.parse(mitigation.endsAt!);
    expect(await flagsOf(ownerQuery, moduleId)).toEqual(degradedFlags('search'));

    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    // Mid-wait: still degraded, well before the end.
    expect(endsAt - Date.now()).toBeGreaterThan(12_000);
    expect((await mitigationsOf(ownerQuery, moduleId))[0]).toMatchObject({ status: 'active' });
    expect(await flagsOf(ownerQuery, moduleId)).toEqual(degradedFlags('search'));

    const second = spawnWorker(cp);
    workers.push(second);
    await second.ready;
    expect(Date.now(), 'the new worker polls before the deadline').toBeLessThan(endsAt);

    const row = await waitForEndedMitigation(
      ownerQuery,
      moduleId,
      'the restore by the new worker',
      endsAt - Date.now() + 30_000,
    );
    const lateness = row.ended_at!.getTime() - row.ends_at!.getTime();
    expect(lateness).toBeGreaterThanOrEqual(0);
    expect(lateness).toBeLessThan(ON_TIME_MS);
    expect(row.end_reason).toBe('expired');
    // Exactly the snapshot: the feature that was already off stays off.
    expect(await flagsOf(ownerQuery, moduleId)).toEqual(originalFlags('search'));
    const audit = await auditOf(ownerQuery, mitigation.id);
    expect(audit.map((e) => [e.action, e.actor_kind, e.trace_id])).toEqual([
      ['degraded_mode.start', 'user', request.traceId],
      ['degraded_mode.restore', 'system', request.traceId],
    ]);
    await expect(cp.deps.temporal.workflow.getHandle(mitigation.workflowId).result()).resolves.toEqual({
      mitigationId: mitigation.id,
      endedBy: 'expiry',
    });
  }, 120_000);
});

describe('degraded mode when the control plane restarts', () => {
  let cp: TestControlPlane;
  const controlPlanes: ControlPlane[] = [];

  beforeAll(async () => {
    // The worker runs throughout; the control planes under test are the ones started below
    // (on the same database and task queue), not the test harness's own.
    cp = await startTestControlPlane({ withWorker: true });
  }, 120_000);

  afterEach(async () => {
    for (const controlPlane of controlPlanes.splice(0)) await controlPlane.close();
  });

  afterAll(async () => {
    await cp?.stop();
  });

  async function signedInOperator(controlPlane: ControlPlane): Promise<ApiClient> {
    const client = new ApiClient(controlPlane.url, 'acme');
    await client.login(cp.acme.emails.operator, TEST_PASSWORD);
    return client;
  }

  it('started through one control plane, it is ended early through a new one after the first stopped; an expiry needs no control plane', async () => {
    const ownerQuery: TestControlPlane['ownerQuery'] = (sql, params) => cp.ownerQuery(sql, params);
    const ended = await arrangeModule(ownerQuery, cp.acme, 'exports', featuresOfEachKind('exports'));
    const expiring = await arrangeModule(ownerQuery, cp.acme, 'reports', featuresOfEachKind('reports'));

    const first = await startControlPlane(cp.config);
    controlPlanes.push(first);
    const started = await (
      await signedInOperator(first)
    ).call<StartedMitigation>('mitigations.degradedMode.start', {
      moduleId: ended,
      reason: 'export queue saturated',
    });
    expect(started.status, JSON.stringify(started.error)).toBe(200);
    const startTraceId = started.headers.get('x-trace-id');
    const shortRequest = memberRequest(first.deps, cp.acme, 'operator');
    const short = await startDegradedMode(shortRequest, {
      moduleId: expiring,
      reason: 'report generation overload',
      durationMs: 8_000,
    });
    await first.close();
    controlPlanes.splice(controlPlanes.indexOf(first), 1);
    expect(await flagsOf(ownerQuery, ended)).toEqual(degradedFlags('exports'));
    expect(await flagsOf(ownerQuery, expiring)).toEqual(degradedFlags('reports'));

    const second = await startControlPlane(cp.config);
    controlPlanes.push(second);
    const operator = await signedInOperator(second);
    const current = await operator.call<MitigationView | null>('mitigations.degradedMode.get', {
      moduleId: ended,
    });
    expect(current.data).toMatchObject({ id: started.data.mitigation.id, status: 'active' });

    const endAnswer = await operator.call<MitigationView>('mitigations.degradedMode.end', {
      moduleId: ended,
      reason: 'queue drained',
    });
    expect(endAnswer.status, JSON.stringify(endAnswer.error)).toBe(200);
    expect(endAnswer.data.status).toBe('ended');
    expect(await flagsOf(ownerQuery, ended)).toEqual(originalFlags('exports'));
    const restore = (await auditOf(ownerQuery, started.data.mitigation.id)).at(-1);
    expect(restore).toMatchObject({
      action: 'degraded_mode.restore',
      actor_label: cp.acme.emails.operator,
      trace_id: startTraceId,
      details: expect.objectContaining({ requestTraceId: endAnswer.headers.get('x-trace-id') }),
    });

    // The short one expires on its own: the worker and Temporal need no control plane for that.
    const row = await waitForEndedMitigation(ownerQuery, expiring, 'the expiry restore');
    const lateness = row.ended_at!.getTime() - Date.parse(short.mitigation.endsAt!);
    expect(lateness).toBeGreaterThanOrEqual(0);
    expect(lateness).toBeLessThan(ON_TIME_MS);
    expect(await flagsOf(ownerQuery, expiring)).toEqual(originalFlags('reports'));
    const expiryAudit = await auditOf(ownerQuery, short.mitigation.id);
    expect(expiryAudit.map((e) => [e.action, e.trace_id])).toEqual([
      ['degraded_mode.start', shortRequest.traceId],
      ['degraded_mode.restore', shortRequest.traceId],
    ]);
  }, 120_000);
});
