import { randomUUID } from 'node:crypto';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { OpenFeature, type Client } from '@openfeature/server-sdk';
import {
  OfrepBulkEvaluationFailure,
  OfrepBulkEvaluationSuccess,
  OfrepEvaluationFailure,
  OfrepEvaluationSuccess,
} from '@rc/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, TEST_PASSWORD, type TestControlPlane } from '../testing/test-control-plane';
import { bulkEtag } from './routes';

/*
 * Applications obey through OpenFeature: the official server SDK with its OFREP provider (a real
 * client we did not write) talks to the control plane over real HTTP, with a tenant API token.
 */

let cp: TestControlPlane;
let acmeSecret: string;
let globexSecret: string;
/** acme's billing application, as it would be configured in production. */
let acmeApp: Client;
let globexApp: Client;

async function createToken(tenant: TestControlPlane['acme'], name: string): Promise<string> {
  const admin = await cp.signedIn(tenant, 'tenant_admin');
  const created = await admin.call<{ secret: string }>('apiTokens.create', { name, role: 'viewer' });
  expect(created.status).toBe(200);
  return created.data.secret;
}

async function openFeatureClient(domain: string, secret: string): Promise<Client> {
  await OpenFeature.setProviderAndWait(
    domain,
    new OFREPProvider({ baseUrl: cp.url, headers: [['Authorization', `Bearer ${secret}`]] }),
  );
  return OpenFeature.getClient(domain);
}

/** A raw OFREP call, for what the SDK does not show (status codes, headers, error bodies). */
async function ofrep(
  path: string,
  options: { secret?: string | null; body?: string; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  const secret = options.secret === undefined ? acmeSecret : options.secret;
  if (secret) headers.authorization = `Bearer ${secret}`;
  const response = await fetch(`${cp.url}/ofrep/v1/evaluate/${path}`, {
    method: 'POST',
    headers,
    body: options.body ?? '{"context":{}}',
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as unknown) : null,
  };
}

async function bulkFlags(secret: string): Promise<OfrepEvaluationSuccess[]> {
  const response = await ofrep('flags', { secret });
  expect(response.status).toBe(200);
  return OfrepBulkEvaluationSuccess.parse(response.body).flags;
}

/** Evaluates through the SDK until the answer is `expected` (workflows act asynchronously) or the deadline passes. */
async function eventuallyEvaluates(client: Client, key: string, expected: boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let value = await client.getBooleanValue(key, !expected);
  while (value !== expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    value = await client.getBooleanValue(key, !expected);
  }
  return value;
}

async function setFeatureEnabled(tenant: TestControlPlane['acme'], key: string, enabled: boolean) {
  await cp.ownerQuery('update features set enabled = $3 where tenant_id = $1 and key = $2', [
    tenant.tenantId,
    key,
    enabled,
  ]);
}

beforeAll(async () => {
  cp = await startTestControlPlane({ withWorker: true });
  acmeSecret = await createToken(cp.acme, 'billing app');
  globexSecret = await createToken(cp.globex, 'globex billing app');
  acmeApp = await openFeatureClient('acme-billing', acmeSecret);
  globexApp = await openFeatureClient('globex-billing', globexSecret);
}, 180_000);

afterAll(async () => {
  await OpenFeature.close();
  await cp?.stop();
});

describe('OFREP: applications read flags through the official OpenFeature SDK', () => {
  it("an application of acme reads billing.exports as on, with the module and criticality in the flag's metadata", async () => {
    const details = await acmeApp.getBooleanDetails('billing.exports', false, {
      targetingKey: 'user-42',
      plan: 'enterprise',
    });
    expect(details).toMatchObject({
      value: true,
      reason: 'STATIC',
      variant: 'on',
      flagMetadata: { module: 'billing', critical: false, degradedMode: false },
    });
    expect(details.errorCode).toBeUndefined();
    expect(await acmeApp.getBooleanValue('billing.invoices', false)).toBe(true);
    expect(await acmeApp.getBooleanValue('integration.payment-provider.available', false)).toBe(true);
  });

  it("the bulk evaluation lists exactly the tenant's features and integrations, and every answer carries x-trace-id", async () => {
    const response = await ofrep('flags');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-trace-id')).toMatch(/^[0-9a-f]{32}$/);
    const flags = OfrepBulkEvaluationSuccess.parse(response.body).flags;
    const features = await cp.ownerQuery<{ key: string }>('select key from features where tenant_id = $1', [
      cp.acme.tenantId,
    ]);
    expect(flags.map((f) => f.key).sort()).toEqual(
      [...features.map((f) => f.key), 'integration.payment-provider.available'].sort(),
    );
    expect(flags.find((f) => f.key === 'integration.payment-provider.available')).toMatchObject({
      value: true,
      metadata: { integration: 'payment-provider', breakerState: 'closed' },
    });
    const single = await ofrep('flags/billing.exports');
    expect(single.headers.get('x-trace-id')).toMatch(/^[0-9a-f]{32}$/);
    expect(OfrepEvaluationSuccess.parse(single.body)).toEqual(flags.find((f) => f.key === 'billing.exports'));
  });

  it('degraded mode on billing switches billing.exports off for the application, keeps the critical billing.invoices on, and restore switches it back on', async () => {
    const operator = await cp.signedIn(cp.acme, 'operator');
    const started = await operator.call('mitigations.degradedMode.start', {
      moduleId: cp.acme.modules.billing,
      reason: 'payment provider timing out (P1)',
      durationMinutes: 30,
    });
    expect(started.status, JSON.stringify(started.error)).toBe(200);
    expect(await eventuallyEvaluates(acmeApp, 'billing.exports', false)).toBe(false);
    const invoices = await acmeApp.getBooleanDetails('billing.invoices', false);
    expect(invoices).toMatchObject({ value: true, flagMetadata: { critical: true, degradedMode: true } });
    // Another tenant's billing is not degraded.
    expect(await globexApp.getBooleanValue('billing.exports', false)).toBe(true);

    const ended = await operator.call('mitigations.degradedMode.end', {
      moduleId: cp.acme.modules.billing,
      reason: 'provider recovered',
    });
    expect(ended.status, JSON.stringify(ended.error)).toBe(200);
    expect(await eventuallyEvaluates(acmeApp, 'billing.exports', true)).toBe(true);
    const exports = await acmeApp.getBooleanDetails('billing.exports', false);
    expect(exports.flagMetadata).toMatchObject({ degradedMode: false });
  });

  it('a feature switched off is read as off (variant off, value explicit) and back on when switched on', async () => {
    await setFeatureEnabled(cp.acme, 'ocr.auto-entry', false);
    try {
      // The default passed by the application (true) is not what it gets: the value is explicit.
      const details = await acmeApp.getBooleanDetails('ocr.auto-entry', true);
      expect(details).toMatchObject({ value: false, reason: 'STATIC', variant: 'off' });
      expect(details.errorCode).toBeUndefined();
    } finally {
      await setFeatureEnabled(cp.acme, 'ocr.auto-entry', true);
    }
    expect(await acmeApp.getBooleanValue('ocr.auto-entry', false)).toBe(true);
  });

  it('while a degraded-mode mitigation is active on a module, its non-critical features read off even before their switch is written', async () => {
    const mitigationId = randomUUID();
    await cp.ownerQuery(
      `insert into mitigations (id, tenant_id, kind, target_id, workflow_id, status, reason, requested_by,
         requested_by_label, started_at)
       values ($1, $2, 'degraded_mode', $3, $4, 'active', 'test', 'test', 'test', now())`,
      [mitigationId, cp.acme.tenantId, cp.acme.modules.ocr, `test-${mitigationId}`],
    );
    try {
      const autoEntry = await acmeApp.getBooleanDetails('ocr.auto-entry', true);
      expect(autoEntry).toMatchObject({ value: false, variant: 'off', flagMetadata: { degradedMode: true } });
      // billing is not the degraded module.
      expect(await acmeApp.getBooleanValue('billing.exports', false)).toBe(true);
    } finally {
      await cp.ownerQuery("update mitigations set status = 'ended', ended_at = now() where id = $1", [
        mitigationId,
      ]);
    }
    expect(await acmeApp.getBooleanValue('ocr.auto-entry', false)).toBe(true);
  });

  it('an open (or half-open) circuit breaker makes integration.<name>.available false; closed makes it true again', async () => {
    const key = 'integration.payment-provider.available';
    const setBreaker = (state: string) =>
      cp.ownerQuery(
        "update integrations set breaker_state = $2 where tenant_id = $1 and name = 'payment-provider'",
        [cp.acme.tenantId, state],
      );
    try {
      await setBreaker('open');
      expect(await acmeApp.getBooleanDetails(key, true)).toMatchObject({
        value: false,
        flagMetadata: { integration: 'payment-provider', breakerState: 'open' },
      });
      expect((await bulkFlags(acmeSecret)).find((f) => f.key === key)?.value).toBe(false);
      // globex's breaker of the same name is its own.
      expect(await globexApp.getBooleanValue(key, false)).toBe(true);
      await setBreaker('half_open');
      expect(await acmeApp.getBooleanValue(key, true)).toBe(false);
    } finally {
      await setBreaker('closed');
    }
    expect(await acmeApp.getBooleanValue(key, false)).toBe(true);
  });

  it('an unknown flag is FLAG_NOT_FOUND: the SDK serves the default the application passed', async () => {
    const details = await acmeApp.getBooleanDetails('billing.does-not-exist', true);
    expect(details).toMatchObject({ value: true, errorCode: 'FLAG_NOT_FOUND' });
    const raw = await ofrep('flags/billing.does-not-exist');
    expect(raw.status).toBe(404);
    expect(raw.body).toMatchObject({ key: 'billing.does-not-exist', errorCode: 'FLAG_NOT_FOUND' });
    // A key that cannot exist (not a flag key at all) is not found either.
    expect((await ofrep('flags/NOT%20A%20KEY')).status).toBe(404);
  });
});

describe('OFREP: tenant isolation', () => {
  const globexOnlyKey = 'billing.globex-only';

  beforeAll(async () => {
    await cp.ownerQuery(
      'insert into features (id, tenant_id, module_id, key, critical, enabled) values ($1, $2, $3, $4, false, true)',
      [randomUUID(), cp.globex.tenantId, cp.globex.modules.billing, globexOnlyKey],
    );
  });

  it("acme's token never sees globex's flags: not in the bulk list, FLAG_NOT_FOUND on its own", async () => {
    // globex's token does see it: the flag exists.
    expect(await globexApp.getBooleanValue(globexOnlyKey, false)).toBe(true);
    expect((await bulkFlags(globexSecret)).map((f) => f.key)).toContain(globexOnlyKey);

    const acmeKeys = (await bulkFlags(acmeSecret)).map((f) => f.key);
    expect(acmeKeys).not.toContain(globexOnlyKey);
    expect(await acmeApp.getBooleanDetails(globexOnlyKey, false)).toMatchObject({
      value: false,
      errorCode: 'FLAG_NOT_FOUND',
    });
    const raw = await ofrep(`flags/${globexOnlyKey}`);
    expect(raw.status).toBe(404);
  });

  it("switching acme's billing.exports off leaves globex's billing.exports (same key) on", async () => {
    await setFeatureEnabled(cp.acme, 'billing.exports', false);
    try {
      expect(await acmeApp.getBooleanValue('billing.exports', true)).toBe(false);
      expect(await globexApp.getBooleanValue('billing.exports', false)).toBe(true);
    } finally {
      await setFeatureEnabled(cp.acme, 'billing.exports', true);
    }
  });

  it('a token naming another tenant with x-tenant is refused (403), not served that tenant', async () => {
    const response = await ofrep('flags', { headers: { 'x-tenant': 'globex' } });
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ errorCode: 'GENERAL' });
    expect(OfrepBulkEvaluationFailure.parse(response.body).errorDetails).toMatch(/^ERR_FORBIDDEN: /);
    expect(JSON.stringify(response.body)).not.toContain(globexOnlyKey);
  });
});

describe('OFREP: authentication', () => {
  it('no token → 401 in the OFREP error shape, with ERR_UNAUTHENTICATED and x-trace-id', async () => {
    for (const path of ['flags', 'flags/billing.exports']) {
      const response = await ofrep(path, { secret: null });
      expect(response.status).toBe(401);
      expect(response.headers.get('x-trace-id')).toMatch(/^[0-9a-f]{32}$/);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(OfrepBulkEvaluationFailure.parse(response.body).errorDetails).toMatch(/^ERR_UNAUTHENTICATED: /);
      expect(JSON.stringify(response.body)).not.toContain('billing.invoices');
    }
    expect((await ofrep('flags/billing.exports', { secret: null })).body).toMatchObject({
      key: 'billing.exports',
      errorCode: 'GENERAL',
    });
  });

  it('an unknown or revoked token → 401; the SDK then serves the default', async () => {
    expect((await ofrep('flags', { secret: 'rct_not-a-real-token' })).status).toBe(401);

    const admin = await cp.signedIn(cp.acme, 'tenant_admin');
    const created = await admin.call<{ token: { id: string }; secret: string }>('apiTokens.create', {
      name: 'short-lived app',
      role: 'viewer',
    });
    expect((await ofrep('flags', { secret: created.data.secret })).status).toBe(200);
    expect((await admin.call('apiTokens.revoke', { id: created.data.token.id })).status).toBe(200);
    expect((await ofrep('flags', { secret: created.data.secret })).status).toBe(401);

    const revokedApp = await openFeatureClient('revoked', created.data.secret);
    const details = await revokedApp.getBooleanDetails('billing.exports', false);
    expect(details.value).toBe(false);
    expect(details.errorCode).toBeDefined();
  });

  it("a signed-in person's session cookie does not authenticate OFREP (API tokens only)", async () => {
    const login = await fetch(`${cp.url}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: cp.acme.emails.tenant_admin, password: TEST_PASSWORD }),
    });
    expect(login.status).toBe(200);
    const cookie = login.headers
      .getSetCookie()
      .find((c) => c.startsWith('rc_session='))!
      .split(';')[0]!;
    const response = await ofrep('flags', { secret: null, headers: { cookie, 'x-tenant': 'acme' } });
    expect(response.status).toBe(401);
  });
});

describe('OFREP: bad requests get a 400 and an OFREP error', () => {
  const cases: Array<[string, string, string]> = [
    ['context is not an object', '{"context":"everyone"}', 'INVALID_CONTEXT'],
    ['context is a list', '{"context":[1,2]}', 'INVALID_CONTEXT'],
    ['targetingKey is not a string', '{"context":{"targetingKey":42}}', 'INVALID_CONTEXT'],
    ['unknown top-level field', '{"context":{},"flags":["billing.exports"]}', 'PARSE_ERROR'],
    ['body is not an object', '[]', 'PARSE_ERROR'],
    ['body is not JSON', '{"context":', 'PARSE_ERROR'],
  ];
  for (const [what, body, errorCode] of cases) {
    it(`${what} → 400 ${errorCode}`, async () => {
      const single = await ofrep('flags/billing.exports', { body });
      expect(single.status).toBe(400);
      expect(single.body).toMatchObject({ key: 'billing.exports', errorCode });
      expect(OfrepEvaluationFailure.parse(single.body).errorDetails).toMatch(/^ERR_VALIDATION: /);
      const bulk = await ofrep('flags', { body });
      expect(bulk.status).toBe(400);
      expect(bulk.body).toMatchObject({ errorCode });
      expect(bulk.body).not.toHaveProperty('flags');
    });
  }

  it('too many context attributes → 400 INVALID_CONTEXT', async () => {
    const context = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`attr${i}`, i]));
    const response = await ofrep('flags', { body: JSON.stringify({ context }) });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ errorCode: 'INVALID_CONTEXT' });
  });

  it('an empty body is an empty request (the spec makes the body optional)', async () => {
    const response = await fetch(`${cp.url}/ofrep/v1/evaluate/flags/billing.exports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${acmeSecret}` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ key: 'billing.exports', value: true });
  });
});

describe('OFREP: bulk evaluation caching (ETag / If-None-Match)', () => {
  it('answers 304 while nothing changed, and 200 with a new ETag once a flag changes', async () => {
    const first = await ofrep('flags');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);

    const unchanged = await ofrep('flags', { headers: { 'if-none-match': etag! } });
    expect(unchanged.status).toBe(304);
    expect(unchanged.body).toBeNull();
    expect(unchanged.headers.get('etag')).toBe(etag);
    // Weak form and lists are understood.
    expect((await ofrep('flags', { headers: { 'if-none-match': `"other", W/${etag}` } })).status).toBe(304);
    // Another tenant's answer never matches this one's ETag, even with the very same flags.
    expect((await ofrep('flags', { secret: globexSecret, headers: { 'if-none-match': etag! } })).status).toBe(
      200,
    );
    const sameFlags = OfrepBulkEvaluationSuccess.parse(first.body).flags;
    expect(bulkEtag(cp.globex.tenantId, sameFlags)).not.toBe(bulkEtag(cp.acme.tenantId, sameFlags));
    expect(bulkEtag(cp.acme.tenantId, sameFlags)).toBe(etag);

    await setFeatureEnabled(cp.acme, 'billing.exports', false);
    try {
      const changed = await ofrep('flags', { headers: { 'if-none-match': etag! } });
      expect(changed.status).toBe(200);
      expect(changed.headers.get('etag')).not.toBe(etag);
      const flags = OfrepBulkEvaluationSuccess.parse(changed.body).flags;
      expect(flags.find((f) => f.key === 'billing.exports')?.value).toBe(false);
    } finally {
      await setFeatureEnabled(cp.acme, 'billing.exports', true);
    }
    expect((await ofrep('flags', { headers: { 'if-none-match': etag! } })).status).toBe(304);
  });
});
