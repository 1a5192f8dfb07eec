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
  // One connection: whatever the next read gets is what the previous read gave back.
  pool = createAppPool(db.appUrl, 1);
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const backendPid = async (): Promise<number> =>
  (await pool.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;

describe('hot tenant reads on the plain pool (one statement, one round trip)', () => {
  it('runs the statement read-only, with the tenant and the user set, and then nothing is left set', async () => {
    const scope = { tenantId: randomUUID(), userId: randomUUID() };
    const [row] = await readInTenant<{ tenant: string; user_id: string; read_only: string }>(
      pool,
      scope,
      () => `select current_setting('app.tenant_id') as tenant, current_setting('app.user_id') as user_id,
                    current_setting('transaction_read_only') as read_only`,
    );
    expect(row).toEqual({ tenant: scope.tenantId, user_id: scope.userId, read_only: 'on' });
    const { rows } = await pool.query<{ tenant: string | null }>(
      "select nullif(current_setting('app.tenant_id', true), '') as tenant",
    );
    expect(rows[0]!.tenant).toBeNull();
  });

  it('a statement that writes is refused by PostgreSQL', async () => {
    await expect(
      readInTenant(pool, { tenantId: randomUUID() }, () => 'create temporary table smuggled (x int)'),
    ).rejects.toMatchObject({ code: '25006' }); // read_only_sql_transaction
  });

  it('values travel as quoted literals: quotes, backslashes and SQL-looking text come back as data', async () => {
    const awkward = [
      "it's",
      'back\\slash',
      "'; drop table tenants; --",
      '$1 $$ $tag$',
      '\u00e9t\u00e9 \u2603',
      '',
    ];
    for (const value of awkward) {
      const [row] = await readInTenant<{ v: string }>(
        pool,
        { tenantId: randomUUID() },
        (literal) => `select ${literal(value)}::text as v`,
      );
      expect(row!.v).toBe(value);
    }
    const [row] = await readInTenant<{ diff: number; nothing: null; yes: boolean; no: boolean }>(
      pool,
      { tenantId: randomUUID() },
      (literal) =>
        `select 1-${literal(-5)} as diff, ${literal(null)}::text as nothing, ${literal(true)} as yes, ${literal(false)} as no`,
    );
    expect(row).toEqual({ diff: 6, nothing: null, yes: true, no: false });
    const { rows } = await pool.query<{ present: boolean }>(
      "select to_regclass('public.tenants') is not null as present",
    );
    expect(rows[0]!.present).toBe(true);
  });

  it('a read that fails closes its connection instead of handing it, tenant still set, to the next caller', async () => {
    const before = await backendPid();
    await expect(readInTenant(pool, { tenantId: randomUUID() }, () => 'select 1 / 0')).rejects.toMatchObject({
      code: '22012', // division_by_zero
    });
    // The next borrower gets a new connection, with no tenant and no transaction left over.
    const { rows } = await pool.query<{ pid: number; tenant: string | null; in_tx: boolean }>(
      `select pg_backend_pid() as pid, nullif(current_setting('app.tenant_id', true), '') as tenant,
              now() <> statement_timestamp() as in_tx`,
    );
    expect(rows[0]!.pid).not.toBe(before);
    expect(rows[0]!.tenant).toBeNull();
    expect(rows[0]!.in_tx).toBe(false);
  });

  it('a read that succeeds gives its connection back for reuse', async () => {
    const before = await backendPid();
    await readInTenant(pool, { tenantId: randomUUID() }, () => 'select 1');
    expect(await backendPid()).toBe(before);
  });

  it('more than one statement is a programming error', async () => {
    await expect(readInTenant(pool, { tenantId: randomUUID() }, () => 'select 1; select 2')).rejects.toThrow(
      'exactly one statement',
    );
  });
});
