import type { StartedMitigation } from '@rc/contracts';
import { degradedModeWorkflowId } from '@rc/contracts';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane';
import { arrangeModule, featuresOfEachKind, flagsOf } from '../mitigations/degraded-mode.test-helpers';
import { connectionLimitsFromEnv, DEFAULT_CONNECTION_LIMITS, LOCK_BUSY } from './connection-limits';
import { createAppPool } from './pool';
import { waitFor } from '../testing/wait-for';

/**
 * A transaction that holds a lock and does not let go (a stuck process, a slow migration) must not
 * hang everything behind it. Real PostgreSQL, Temporal and worker; the locks are held by the
 * database owner in a transaction the test keeps open.
 */
const LOCK_TIMEOUT_MS = 1_000;
let cp: TestControlPlane;

beforeAll(async () => {
  cp = await startTestControlPlane({
    withWorker: true,
    connectionLimits: { ...DEFAULT_CONNECTION_LIMITS, lockTimeoutMs: LOCK_TIMEOUT_MS },
  });
}, 120_000);

afterAll(async () => {
  await cp?.stop();
});

/** An owner transaction holding `lockSql` until `release()` rolls it back. */
async function holdLock(lockSql: string, params: unknown[]): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: cp.ownerUrl });
  await client.connect();
  await client.query('begin');
  await client.query(lockSql, params);
  return {
    async release() {
      await client.query('rollback');
      await client.end();
    },
  };
}

const holdAuditChain = (tenantId: string) =>
  holdLock('select pg_advisory_xact_lock(hashtextextended($1, 0))', [`audit:${tenantId}`]);

async function featureCount(moduleId: string): Promise<number> {
  const [row] = await cp.ownerQuery<{ n: number }>(
    'select count(*)::int as n from features where module_id = $1',
    [moduleId],
  );
  return row!.n;
}

describe('lock waits are bounded', () => {
  it('a change that waits on a stuck transaction answers 503 ERR_UNAVAILABLE after the lock timeout and changes nothing', async () => {
    const billing = cp.acme.modules.billing!;
    const admin = await cp.signedIn(cp.acme, 'tenant_admin');
    const before = await featureCount(billing);
    const auditBefore = await cp.ownerQuery('select id from audit_events where tenant_id = $1', [
      cp.acme.tenantId,
    ]);
    const input = { moduleId: billing, key: 'billing.lock-wait', critical: false };

    // Every change of the tenant appends to its audit chain, under one lock.
    const stuck = await holdAuditChain(cp.acme.tenantId);
    let refused;
    try {
      refused = await admin.call('catalog.features.create', input);
    } finally {
      await stuck.release();
    }
    expect(refused.status).toBe(503);
    expect(refused.error?.data.code).toBe('ERR_UNAVAILABLE');
    expect(refused.error?.message).toBe(LOCK_BUSY);
    expect(await featureCount(billing)).toBe(before);
    expect(
      await cp.ownerQuery('select id from audit_events where tenant_id = $1', [cp.acme.tenantId]),
    ).toHaveLength(auditBefore.length);

    // Once the other transaction is gone, the same request goes through.
    const created = await admin.call('catalog.features.create', input);
    expect(created.status, JSON.stringify(created.error)).toBe(200);
    expect(await featureCount(billing)).toBe(before + 1);
  });

  it('another tenant is not held up by a stuck transaction of tenant A', async () => {
    const billing = cp.globex.modules.billing!;
    const admin = await cp.signedIn(cp.globex, 'tenant_admin');
    const stuck = await holdAuditChain(cp.acme.tenantId);
    try {
      const created = await admin.call('catalog.features.create', {
        moduleId: billing,
        key: 'billing.other-tenant',
        critical: false,
      });
      expect(created.status, JSON.stringify(created.error)).toBe(200);
    } finally {
      await stuck.release();
    }
  });

  it("a degraded-mode apply that waits on the module's lock gives up and is retried by the workflow, then applies once the lock is free", async () => {
    const moduleId = await arrangeModule(cp.ownerQuery, cp.acme, 'locked-x', featuresOfEachKind('locked-x'));
    const operator = await cp.signedIn(cp.acme, 'operator');
    const stuck = await holdLock('select 1 from modules where id = $1 for update', [moduleId]);
    const startedRequest = operator.call<StartedMitigation>('mitigations.degradedMode.start', {
      moduleId,
      reason: 'shed load while a migration holds the module',
    });
    // Held until an attempt has given up on the lock and the next one is scheduled.
    const handle = cp.deps.temporal.workflow.getHandle(degradedModeWorkflowId(cp.acme.tenantId, moduleId));
    try {
      await waitFor('a retried apply attempt', async () => {
        const description = await handle.describe().catch(() => null);
        const attempt = description?.raw.pendingActivities?.[0]?.attempt ?? 0;
        return attempt >= 2 ? true : undefined;
      });
    } finally {
      await stuck.release();
    }

    const started = await startedRequest;
    expect(started.status, JSON.stringify(started.error)).toBe(200);
    expect(Object.values(await flagsOf(cp.ownerQuery, moduleId))).toContain(false);

    // The history shows it: the attempt that applied was not the first one.
    const history = await handle.fetchHistory();
    const attempts = (history.events ?? [])
      .map((event) => event.activityTaskStartedEventAttributes?.attempt)
      .filter((attempt): attempt is number => typeof attempt === 'number');
    expect(Math.max(...attempts)).toBeGreaterThanOrEqual(2);
    const failures = (history.events ?? [])
      .map((event) => event.activityTaskStartedEventAttributes?.lastFailure?.message)
      .filter(Boolean);
    expect(failures.join('\n')).toContain('lock timeout');

    await operator.call('mitigations.degradedMode.end', { moduleId, reason: 'done' });
  });

  it('a transaction left idle by a stopped process is ended by the server, and its locks released', async () => {
    const pool = createAppPool(cp.appUrl, 1, {
      lockTimeoutMs: LOCK_TIMEOUT_MS,
      idleInTransactionTimeoutMs: 1_500,
    });
    pool.on('error', () => undefined);
    const billing = cp.acme.modules.billing!;
    const client = await pool.connect();
    client.on('error', () => undefined);
    try {
      await client.query('begin');
      await client.query("select set_config('app.tenant_id', $1, true)", [cp.acme.tenantId]);
      const locked = await client.query('select id from modules where id = $1 for update', [billing]);
      expect(locked.rowCount).toBe(1);
      // The "process" stops here. The owner's own lock timeout is far longer than the idle one, so
      // it gets the lock only if the server ended the idle transaction.
      const owner = new pg.Client({ connectionString: cp.ownerUrl, lock_timeout: 15_000 });
      await owner.connect();
      try {
        await owner.query('begin');
        await owner.query('select 1 from modules where id = $1 for update', [billing]);
        await owner.query('rollback');
      } finally {
        await owner.end();
      }
      await expect(client.query('select 1')).rejects.toThrow();
    } finally {
      client.release(true);
      await pool.end();
    }
  });
});

describe('connection limits from the environment', () => {
  it('defaults when unset, and takes whole milliseconds', () => {
    expect(connectionLimitsFromEnv({})).toEqual(DEFAULT_CONNECTION_LIMITS);
    expect(
      connectionLimitsFromEnv({ DB_LOCK_TIMEOUT_MS: '2500', DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: '90000' }),
    ).toEqual({ lockTimeoutMs: 2500, idleInTransactionTimeoutMs: 90_000 });
  });

  it.each(['0', '-5', '1.5', 'soon', '5s'])('refuses DB_LOCK_TIMEOUT_MS=%s at startup', (value) => {
    expect(() => connectionLimitsFromEnv({ DB_LOCK_TIMEOUT_MS: value })).toThrow(/DB_LOCK_TIMEOUT_MS/);
  });
});
