import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane';
import type { ApiClient } from '../testing/api-client';
import { takesIds, validSampleInput } from '../testing/sample-inputs';
import { membersOf, roleHolding } from '../testing/callers';
import { listProcedures, type ProcedureInfo } from './procedures';

/**
 * Invariant 1, proven over the whole API: for each procedure, a member of tenant A (acme) whose
 * role holds the procedure's permission (a person, and an API token) calls it against tenant B's
 * (globex) objects, so the call reaches the service and the service's own tenant scoping is judged.
 * Procedures are enumerated from the router, so a new procedure is covered without editing this test.
 */
let cp: TestControlPlane;
let globexIds: string[];
let acme: ReturnType<typeof membersOf>;

/** Every table with a tenant_id column: new tables are covered without editing this test. */
async function tenantOwnedTables(): Promise<string[]> {
  const rows = await cp.ownerQuery<{ table_name: string }>(
    `select table_name from information_schema.columns
      where table_schema = 'public' and column_name = 'tenant_id' order by table_name`,
  );
  return rows.map((r) => r.table_name);
}

async function snapshotTenantB(): Promise<string> {
  const parts: unknown[] = [];
  for (const table of await tenantOwnedTables()) {
    parts.push(
      await cp.ownerQuery(`select * from ${table} where tenant_id = $1 order by 1, 2`, [cp.globex.tenantId]),
    );
  }
  parts.push(await cp.ownerQuery('select * from tenants order by id'));
  parts.push(await cp.ownerQuery('select id, email, display_name, password_hash from users order by id'));
  return JSON.stringify(parts);
}

/** Every id (uuid column value) of every tenant-owned row of tenant B. */
async function tenantBIds(): Promise<string[]> {
  const ids = new Set<string>();
  for (const table of await tenantOwnedTables()) {
    const columns = await cp.ownerQuery<{ column_name: string }>(
      `select column_name from information_schema.columns
        where table_schema = 'public' and table_name = $1 and data_type = 'uuid'`,
      [table],
    );
    for (const { column_name } of columns) {
      const rows = await cp.ownerQuery<{ id: string }>(
        `select distinct ${column_name}::text as id from ${table} where tenant_id = $1`,
        [cp.globex.tenantId],
      );
      for (const row of rows) ids.add(row.id);
    }
  }
  return [...ids];
}

function leakedIds(body: unknown): string[] {
  const text = JSON.stringify(body ?? null);
  return globexIds.filter((id) => text.includes(id));
}

beforeAll(async () => {
  cp = await startTestControlPlane({ withWorker: true });
  const globexAdmin = await cp.signedIn(cp.globex, 'tenant_admin');
  await globexAdmin.call('modules.create', {
    name: 'globex-only',
    ownerTeam: 'b-team',
    criticality: 'critical',
  });
  // An automation token of globex (arranged as the owner: no globex person may mint an operator token).
  await membersOf(cp, cp.globex).token('operator');
  globexIds = await tenantBIds();
  acme = membersOf(cp, cp.acme);
  expect(globexIds.length).toBeGreaterThan(8);
}, 120_000);

afterAll(async () => {
  await cp?.stop();
});

interface Caller {
  label: string;
  client: ApiClient;
  relogin(): Promise<void>;
}

/** For one procedure: a member of acme whose role holds its permission, as a person and as an API token. */
async function callersFor(procedure: ProcedureInfo): Promise<Caller[]> {
  const callers: Caller[] = [];
  const sessionRole = roleHolding(procedure.meta?.permission, 'session');
  if (sessionRole) {
    callers.push({
      label: `acme ${sessionRole} session`,
      client: await acme.session(sessionRole),
      relogin: () => acme.relogin(sessionRole),
    });
  }
  const tokenRole = roleHolding(procedure.meta?.permission, 'token');
  if (tokenRole) {
    callers.push({
      label: `acme ${tokenRole} API token`,
      client: await acme.token(tokenRole),
      relogin: async () => {},
    });
  }
  expect(callers.length, `no role of acme may call ${procedure.path}`).toBeGreaterThan(0);
  return callers;
}

describe('tenant isolation over every procedure', () => {
  it('every procedure declares its scope, and every tenant procedure its permission', () => {
    const procedures = listProcedures();
    expect(procedures.filter((p) => p.meta?.scope === 'tenant').length).toBeGreaterThanOrEqual(10);
    for (const p of procedures) {
      expect(['public', 'user', 'tenant'], `${p.path} declares no scope`).toContain(p.meta?.scope);
      if (p.meta?.scope === 'tenant')
        expect(p.meta.permission, `${p.path} declares no permission`).toBeDefined();
    }
  });

  it("a member of acme allowed to call each procedure gets forbidden naming globex and not-found for globex's objects inside acme, sees none of them, and changes none of them", async () => {
    const before = await snapshotTenantB();
    const failures: string[] = [];
    for (const procedure of listProcedures()) {
      for (const caller of await callersFor(procedure)) {
        const tenantScoped = procedure.meta?.scope === 'tenant';
        const inputs: unknown[] = [];
        if (!procedure.input) inputs.push(undefined);
        else if (takesIds(procedure.input))
          inputs.push(...globexIds.map((id) => validSampleInput(procedure.input!, id)));
        else inputs.push(validSampleInput(procedure.input));

        for (const input of inputs) {
          // 1. Naming tenant B outright.
          const asB = await caller.client.call(procedure.path, input, { tenant: 'globex' });
          if (tenantScoped && asB.status !== 403)
            failures.push(`${caller.label} ${procedure.path} as globex → ${asB.status}`);
          if (leakedIds(asB).length)
            failures.push(`${caller.label} ${procedure.path} as globex leaked ${leakedIds(asB)}`);

          // 2. Inside tenant A, pointing at B's objects: the caller may call it, so only
          // the service's tenant scoping stands between it and B's object (404, never 403).
          const inA = await caller.client.call(procedure.path, input, { tenant: 'acme' });
          if (tenantScoped && procedure.input && takesIds(procedure.input) && inA.status !== 404) {
            failures.push(
              `${caller.label} ${procedure.path}(${JSON.stringify(input)}) in acme → ${inA.status} ${inA.error?.data.code}`,
            );
          }
          if (inA.status >= 500) failures.push(`${caller.label} ${procedure.path} in acme → ${inA.status}`);
          if (leakedIds(inA).length)
            failures.push(`${caller.label} ${procedure.path} in acme leaked ${leakedIds(inA)}`);
          if (procedure.path === 'auth.logout') await caller.relogin();
        }
      }
    }
    expect(failures).toEqual([]);
    expect(await snapshotTenantB()).toBe(before);
  });
});
