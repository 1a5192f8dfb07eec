import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { appDatabaseUrl, ensureAppLogin, migrate } from '@rc/migrations';
import { createDatabase, startEmbeddedPostgres, type EmbeddedPostgres } from '@rc/ops/postgres';
import type { AuditVerifyResult, MitigationView } from '@rc/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain, type StoredAuditRow } from '../audit/verify';
import type { ApiClient } from '../testing/api-client';
import { startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane';
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
  type OwnerQuery,
} from './degraded-mode.test-helpers';
import { waitFor } from '../testing/wait-for';
import { startDegradedMode } from './service';

/**
 * Faults lose nothing (invariant 5): PostgreSQL stops while a module is in degraded mode and
 * starts again on the same data. The shared test cluster serves every test file in parallel, so
 * this one runs on a cluster of its own, which it really stops (fast shutdown of the server
 * process) and starts again on the same data directory and port. The control plane and the
 * worker are the real ones, in this process, and are never restarted.
 */

/** Degraded mode lasts this long: it falls due while PostgreSQL is down. */
const DURATION_MS = 10_000;
/** The longest any single HTTP answer may take while the database is down: a typed error, not a hang. */
const ANSWER_WITHIN_MS = 5_000;
/** After PostgreSQL is back, the due restore commits within this long (Temporal's retry backoff is at most 10 s). */
const RECOVERY_MS = 20_000;

const PREFIX = 'reconcile';
const DATABASE = 'rc_restart';

/** Settles like `promise`, or fails when it takes longer than `ms` (a hang is a failure). */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface OfrepAnswer {
  status: number;
  body: { key?: string; value?: unknown; errorCode?: string; errorDetails?: string } | null;
}

describe('PostgreSQL restarts while a module is in degraded mode: nothing is lost', () => {
  let dataDir: string;
  let postgres: EmbeddedPostgres | undefined;
  let cp: TestControlPlane | undefined;
  let workflowId: string | undefined;

  beforeAll(async () => {
    // Directly under the temp dir, like the shared cluster's (as root the server runs as the
    // `postgres` OS user, which must reach it). `persistent`: stop() keeps the data for the restart.
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'rc-test-pg-restart-'));
    postgres = await startEmbeddedPostgres({ dataDir, persistent: true });
    await createDatabase(postgres.ownerUrl(), DATABASE);
    const ownerUrl = postgres.ownerUrl(DATABASE);
    await migrate(ownerUrl);
    const appPassword = randomBytes(18).toString('base64url');
    await ensureAppLogin(ownerUrl, appPassword);
    cp = await startTestControlPlane({
      withWorker: true,
      database: { ownerUrl, appUrl: appDatabaseUrl(ownerUrl, appPassword) },
    });
  }, 40_000);

  afterAll(async () => {
    // Whatever state a failure left: no workflow waiting for a worker, no server left running.
    if (cp && workflowId) {
      await cp.deps.temporal.workflow
        .getHandle(workflowId)
        .terminate('test over')
        .catch(() => undefined);
    }
    await cp?.stop().catch((error: unknown) => console.error('stopping the control plane:', error));
    await postgres?.stop();
    if (dataDir) {
      await fs.rm(dataDir, { recursive: true, force: true });
      await fs.rm(`${dataDir}.password`, { force: true });
    }
  }, 30_000);

  it('the API answers a typed error while it is down, the restore due then is retried and happens exactly once after, and the same processes answer normally again', async () => {
    const plane = cp!;
    const ownerQuery: OwnerQuery = (sql, params) => plane.ownerQuery(sql, params);
    const moduleId = await arrangeModule(
      ownerQuery,
      plane.acme,
      'reconciliation',
      featuresOfEachKind(PREFIX),
    );
    const operator = await plane.signedIn(plane.acme, 'operator');
    const auditor = await plane.signedIn(plane.acme, 'auditor');
    const admin = await plane.signedIn(plane.acme, 'tenant_admin');
    const token = await admin.call<{ secret: string }>('apiTokens.create', {
      name: 'reconciliation app',
      role: 'viewer',
    });
    expect(token.status, JSON.stringify(token.error)).toBe(200);
    /** What the reconciliation application reads through OpenFeature (OFREP), over real HTTP. */
    const evaluateSuggest = async (): Promise<OfrepAnswer> => {
      const response = await fetch(`${plane.url}/ofrep/v1/evaluate/flags/${PREFIX}.suggest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token.data.secret}` },
        body: '{"context":{}}',
        signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
      });
      const text = await response.text();
      return { status: response.status, body: text ? (JSON.parse(text) as OfrepAnswer['body']) : null };
    };
    const currentDegradedMode = (client: ApiClient) =>
      within(
        ANSWER_WITHIN_MS,
        'mitigations.degradedMode.get',
        client.call<MitigationView | null>('mitigations.degradedMode.get', { moduleId }),
      );

    // The operator sheds the module's non-critical load for a short while (the service takes
    // seconds; the API's minimum is a minute).
    const request = memberRequest(plane.deps, plane.acme, 'operator');
    const { mitigation } = await startDegradedMode(request, {
      moduleId,
      reason: 'reconciliation backlog: shed non-critical load',
      durationMs: DURATION_MS,
    });
    workflowId = mitigation.workflowId;
    const endsAt = Date.parse(mitigation.endsAt!);
    expect(await flagsOf(ownerQuery, moduleId)).toEqual(degradedFlags(PREFIX));
    expect((await evaluateSuggest()).body).toMatchObject({ key: `${PREFIX}.suggest`, value: false });

    // PostgreSQL stops (fast shutdown: open connections are cut, the server process exits).
    await postgres!.stop();
    expect(endsAt - Date.now(), 'PostgreSQL is down before the restore falls due').toBeGreaterThan(2_000);

    // While it is down: typed errors, promptly; no 500.
    const whileDown = await currentDegradedMode(operator);
    expect(whileDown.status, JSON.stringify(whileDown.error)).toBe(503);
    expect(whileDown.error?.data).toMatchObject({ code: 'ERR_UNAVAILABLE', httpStatus: 503 });
    expect(whileDown.error?.message).not.toMatch(/ECONNREFUSED|\n\s+at /);
    // Ending it early now fails the same way, and changes nothing (it will expire instead).
    const endWhileDown = await within(
      ANSWER_WITHIN_MS,
      'mitigations.degradedMode.end',
      operator.call('mitigations.degradedMode.end', { moduleId, reason: 'backlog drained' }),
    );
    expect(endWhileDown.status, JSON.stringify(endWhileDown.error)).toBe(503);
    expect(endWhileDown.error?.data).toMatchObject({ code: 'ERR_UNAVAILABLE', httpStatus: 503 });
    const ofrepWhileDown = await evaluateSuggest();
    expect(ofrepWhileDown.status).toBe(503);
    expect(ofrepWhileDown.body).toMatchObject({
      key: `${PREFIX}.suggest`,
      errorCode: 'GENERAL',
      errorDetails: expect.stringMatching(/^ERR_UNAVAILABLE: /),
    });

    // The restore falls due while the database is down: its activity fails and Temporal retries it.
    const handle = plane.deps.temporal.workflow.getHandle(mitigation.workflowId);
    const retried = await waitFor(
      'the restore activity to be retried',
      async () => {
        const { raw } = await handle.describe();
        const restore = raw.pendingActivities?.find((a) => a.activityType?.name === 'restoreDegradedMode');
        return restore && (restore.attempt ?? 0) >= 2 ? restore : undefined;
      },
      endsAt - Date.now() + 10_000,
    );
    expect(retried.lastFailure?.message).toBeTruthy();
    expect((await handle.describe()).status.name).toBe('RUNNING');

    // PostgreSQL starts again on the same data directory and port.
    const restartingAt = Date.now();
    postgres = await startEmbeddedPostgres({ dataDir, port: postgres!.port, persistent: true });

    const row = await waitForEndedMitigation(
      ownerQuery,
      moduleId,
      'the restore after the restart',
      RECOVERY_MS,
    );
    expect(row.id).toBe(mitigation.id);
    expect(row.end_reason).toBe('expired');
    expect(row.ended_at!.getTime()).toBeGreaterThanOrEqual(restartingAt);
    expect(await mitigationsOf(ownerQuery, moduleId)).toHaveLength(1);
    // Exactly the snapshot: the feature that was already off stays off.
    expect(row.snapshot).toEqual({ features: originalFlags(PREFIX) });
    expect(await flagsOf(ownerQuery, moduleId)).toEqual(originalFlags(PREFIX));
    // Restored exactly once: one start and one restore, nothing lost, nothing doubled.
    const audit = await auditOf(ownerQuery, mitigation.id);
    expect(audit.map((e) => [e.action, e.actor_kind, e.outcome, e.trace_id])).toEqual([
      ['degraded_mode.start', 'user', 'success', request.traceId],
      ['degraded_mode.restore', 'system', 'success', request.traceId],
    ]);
    await expect(within(10_000, 'the workflow result', handle.result())).resolves.toEqual({
      mitigationId: mitigation.id,
      endedBy: 'expiry',
    });
    // The tenant's whole audit chain verifies offline: no event missing, doubled or altered.
    const chain = await ownerQuery<StoredAuditRow & Record<string, unknown>>(
      'select * from audit_events where tenant_id = $1 order by seq asc',
      [plane.acme.tenantId],
    );
    expect(verifyAuditChain(chain)).toMatchObject({ ok: true, checked: chain.length });

    // The same control plane process answers normally again: its pools reconnected by themselves.
    const afterRestart = await currentDegradedMode(operator);
    expect(afterRestart.status, JSON.stringify(afterRestart.error)).toBe(200);
    expect(afterRestart.data).toBeNull();
    const verified = await within(
      ANSWER_WITHIN_MS,
      'audit.verify',
      auditor.call<AuditVerifyResult>('audit.verify'),
    );
    expect(verified.status, JSON.stringify(verified.error)).toBe(200);
    expect(verified.data).toMatchObject({ ok: true, checked: chain.length });
    const ofrepAfter = await evaluateSuggest();
    expect(ofrepAfter.status).toBe(200);
    expect(ofrepAfter.body).toMatchObject({ key: `${PREFIX}.suggest`, value: true });
  }, 90_000);
});
