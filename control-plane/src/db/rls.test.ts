import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane';

let cp: TestControlPlane;
let app: pg.Client;
beforeAll(async () => {
  cp = await startTestControlPlane();
  // Give every tenant-owned table at least one row per tenant.
  for (const tenant of [cp.acme, cp.globex]) {
    const admin = await cp.signedIn(tenant, 'tenant_admin');
    await admin.call('apiTokens.create', { name: 'rls probe', role: 'viewer' });
  }
  // A mitigation row per tenant, written as the owner (the mitigation workflows are tested elsewhere).
  for (const tenant of [cp.acme, cp.globex]) {
    await cp.ownerQuery(
      `insert into mitigations (id, tenant_id, kind, target_id, workflow_id, status, reason, requested_by, requested_by_label, started_at)
       values ($1, $2, 'degraded_mode', $3, 'wf', 'ended', 'rls probe', 'someone', 'someone', now())`,
      [randomUUID(), tenant.tenantId, tenant.modules.ocr],
    );
  }
  app = new pg.Client({ connectionString: cp.appUrl });
  await app.connect();
});
afterAll(async () => {
  await app?.end();
  await cp?.stop();
});

async function tenantOwnedTables(): Promise<string[]> {
  const rows = await cp.ownerQuery<{ table_name: string }>(
    `select table_name from information_schema.columns
      where table_schema = 'public' and column_name = 'tenant_id' order by table_name`,
  );
  return rows.map((r) => r.table_name);
}

describe('row-level security, at the database', () => {
  it('every tenant-owned table has tenant_id NOT NULL and row-level security enabled', async () => {
    const tables = await tenantOwnedTables();
    expect(tables).toEqual(expect.arrayContaining(['api_tokens', 'audit_events', 'memberships', 'modules']));
    for (const table of tables) {
      const [info] = await cp.ownerQuery<{ is_nullable: string; rls: boolean }>(
        `select c.is_nullable, t.relrowsecurity as rls
           from information_schema.columns c join pg_class t on t.relname = c.table_name
          where c.table_schema = 'public' and c.table_name = $1 and c.column_name = 'tenant_id'`,
        [table],
      );
      expect(info, table).toEqual({ is_nullable: 'NO', rls: true });
    }
  });

  it('the application role is neither superuser, nor BYPASSRLS, nor owner of any table', async () => {
    const [role] = await app
      .query<{ rolsuper: boolean; rolbypassrls: boolean }>(
        'select rolsuper, rolbypassrls from pg_roles where rolname = current_user',
      )
      .then((r) => r.rows);
    expect(role).toEqual({ rolsuper: false, rolbypassrls: false });
    const owned = await app.query(
      "select tablename from pg_tables where schemaname = 'public' and tableowner = current_user",
    );
    expect(owned.rows).toEqual([]);
    // Nor may it create anything in the schema, where a table or function could shadow ours.
    await expect(app.query('create table public.shadow (id uuid)')).rejects.toMatchObject({ code: '42501' });
    const [privilege] = await cp.ownerQuery<{ anyone_may_create: boolean }>(
      "select has_schema_privilege('public', 'public', 'create') as anyone_may_create",
    );
    expect(privilege!.anyone_may_create).toBe(false);
  });

  it('without a tenant set, the application role sees zero tenant rows', async () => {
    for (const table of await tenantOwnedTables()) {
      const { rows } = await app.query<{ n: number }>(`select count(*)::int as n from ${table}`);
      expect(rows[0]!.n, table).toBe(0);
    }
    // ...while the owner sees that the rows are there (the fixture fills every tenant-owned table).
    for (const table of await tenantOwnedTables()) {
      const [row] = await cp.ownerQuery<{ n: number }>(`select count(*)::int as n from ${table}`);
      expect(
        row!.n,
        `${table} has no rows in the fixture: seed some, or this test proves nothing for it`,
      ).toBeGreaterThan(0);
    }
  });

  it("with tenant A set, hand-written SQL cannot read, write, move or delete tenant B's rows", async () => {
    await app.query('begin');
    try {
      await app.query("select set_config('app.tenant_id', $1, true)", [cp.acme.tenantId]);
      const visible = await app.query<{ tenant_id: string }>('select distinct tenant_id from modules');
      expect(visible.rows).toEqual([{ tenant_id: cp.acme.tenantId }]);

      const updated = await app.query("update modules set owner_team = 'hijacked' where tenant_id = $1", [
        cp.globex.tenantId,
      ]);
      expect(updated.rowCount).toBe(0);

      await app.query('savepoint s');
      await expect(
        app.query(
          "insert into modules (id, tenant_id, name, owner_team, criticality) values ($1, $2, 'planted', 'x', 'critical')",
          [randomUUID(), cp.globex.tenantId],
        ),
      ).rejects.toThrow(/row-level security/);
      await app.query('rollback to savepoint s');

      // Moving one of A's rows into B is refused too.
      await expect(app.query('update modules set tenant_id = $1', [cp.globex.tenantId])).rejects.toThrow(
        /row-level security/,
      );
    } finally {
      await app.query('rollback');
    }
    const globexModules = await cp.ownerQuery<{ owner_team: string }>(
      'select owner_team from modules where tenant_id = $1',
      [cp.globex.tenantId],
    );
    expect(globexModules.every((m) => m.owner_team !== 'hijacked')).toBe(true);
    expect(await cp.ownerQuery("select id from modules where name = 'planted'")).toEqual([]);
  });

  it('the tenant setting ends with its transaction (safe with connection pooling)', async () => {
    await app.query('begin');
    await app.query("select set_config('app.tenant_id', $1, true)", [cp.acme.tenantId]);
    expect((await app.query('select count(*)::int as n from modules')).rows[0].n).toBeGreaterThan(0);
    await app.query('commit');
    expect((await app.query('select count(*)::int as n from modules')).rows[0].n).toBe(0);
  });
});
