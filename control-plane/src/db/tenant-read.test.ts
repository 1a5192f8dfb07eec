import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@rc/ops/test/harness';
import { createAppPool } from './pool';
import { readInTenant } from './tenant-read';

let db: TestDatabase;
let pool: pg.Pool;
beforeAll(async () => {
  db = await createTestDatabase();
  // One connection: whatever the next read gets is what the failed read gave back.
  pool = createAppPool(db.appUrl, 1);
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const backendPid = async (): Promise<number> =>
  (await pool.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;

describe('tenant reads on the plain pool', () => {
  it('a read that fails closes its connection instead of handing it, tenant still set, to the next caller', async () => {
    const scope = { tenantId: randomUUID(), userId: randomUUID() };
    let failedOn = 0;
    await expect(
      readInTenant(pool, scope, async (query) => {
        failedOn = (await query<{ pid: number }>('select pg_backend_pid() as pid'))[0]!.pid;
        throw new Error('the read failed');
      }),
    ).rejects.toThrow('the read failed');
    expect(failedOn).toBeGreaterThan(0);
    // The next borrower gets a new connection, with no tenant and no transaction left over.
    const { rows } = await pool.query<{ pid: number; tenant: string | null; in_tx: boolean }>(
      `select pg_backend_pid() as pid, nullif(current_setting('app.tenant_id', true), '') as tenant,
              now() <> statement_timestamp() as in_tx`,
    );
    expect(rows[0]!.pid).not.toBe(failedOn);
    expect(rows[0]!.tenant).toBeNull();
    expect(rows[0]!.in_tx).toBe(false);
  });

  it('a read that succeeds gives its connection back for reuse', async () => {
    const before = await backendPid();
    const result = await readInTenant(pool, { tenantId: randomUUID() }, async (query) =>
      query<{ tenant: string }>("select current_setting('app.tenant_id', true) as tenant"),
    );
    expect(result[0]!.tenant).toMatch(/^[0-9a-f-]{36}$/);
    expect(await backendPid()).toBe(before);
  });
});
