import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_ROWS_SQL, verifyAuditChain, type StoredAuditRow } from '../audit/verify';
import { startTestControlPlane, TEST_PASSWORD, type TestControlPlane } from '../testing/test-control-plane';

let cp: TestControlPlane;
beforeAll(async () => {
  cp = await startTestControlPlane();
});
afterAll(async () => {
  await cp?.stop();
});

describe('console login', () => {
  it('signs in with a password and sets an HTTP-only session cookie', async () => {
    const response = await fetch(`${cp.url}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: cp.acme.emails.operator, password: TEST_PASSWORD }),
    });
    expect(response.status).toBe(200);
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith('rc_session='));
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    const body = (await response.json()) as {
      result: { data: { memberships: Array<{ tenantSlug: string; role: string }> } };
    };
    expect(body.result.data.memberships).toEqual([
      expect.objectContaining({ tenantSlug: 'acme', role: 'operator' }),
    ]);
  });

  it('stores sessions and passwords only as hashes', async () => {
    const client = cp.anonymous();
    await client.login(cp.acme.emails.viewer, TEST_PASSWORD);
    const [user] = await cp.ownerQuery<{ password_hash: string }>(
      'select password_hash from users where email = $1',
      [cp.acme.emails.viewer],
    );
    expect(user!.password_hash).toMatch(/^\$argon2id\$/);
    const sessions = await cp.ownerQuery<{ id: string }>('select id from sessions');
    expect(sessions.length).toBeGreaterThan(0);
    for (const s of sessions) expect(s.id).toMatch(/^[0-9a-f]{64}$/);
  });

  it('answers a wrong password and an unknown user alike', async () => {
    const wrongPassword = await cp
      .anonymous()
      .call('auth.login', { email: cp.acme.emails.auditor, password: 'nope-nope' });
    const unknownUser = await cp
      .anonymous()
      .call('auth.login', { email: 'nobody@acme.example', password: 'nope-nope' });
    expect(wrongPassword.status).toBe(401);
    expect(unknownUser.status).toBe(401);
    expect(wrongPassword.error?.data.code).toBe('ERR_INVALID_CREDENTIALS');
    expect(unknownUser.error?.data.code).toBe(wrongPassword.error?.data.code);
    expect(unknownUser.error?.message).toBe(wrongPassword.error?.message);
  });

  it('rate-limits repeated failures per account and address, even with the right password afterwards', async () => {
    const email = cp.globex.emails.security_reviewer;
    for (let i = 0; i < 5; i++) {
      expect((await cp.anonymous().call('auth.login', { email, password: `wrong-${i}` })).status).toBe(401);
    }
    const blocked = await cp.anonymous().call('auth.login', { email, password: TEST_PASSWORD });
    expect(blocked.status).toBe(429);
    expect(blocked.error?.data.code).toBe('ERR_RATE_LIMITED');
    // Another account from the same address is not locked out by it.
    expect(
      (await cp.anonymous().call('auth.login', { email: cp.globex.emails.viewer, password: TEST_PASSWORD }))
        .status,
    ).toBe(200);
  });

  it('concurrent wrong passwords on one account cannot outrun the limit', async () => {
    const email = cp.acme.emails.security_reviewer;
    const attempts = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        cp.anonymous().call('auth.login', { email, password: `guess-${i}` }),
      ),
    );
    const statuses = attempts.map((a) => a.status);
    // Each attempt takes its point before the password is checked: at most five are judged.
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(7);
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
  });

  it('the application role cannot read password hashes; login reads one through a narrow function', async () => {
    const app = new pg.Client({ connectionString: cp.appUrl });
    await app.connect();
    try {
      await expect(app.query('select password_hash from users')).rejects.toThrow(/permission denied/);
      await expect(app.query('select * from users')).rejects.toThrow(/permission denied/);
      const { rows } = await app.query('select email from users where email = $1', [cp.acme.emails.viewer]);
      expect(rows).toEqual([{ email: cp.acme.emails.viewer }]);
      await expect(app.query("update users set display_name = 'x'")).rejects.toThrow(/permission denied/);
    } finally {
      await app.end();
    }
  });

  it('a session names a tenant only to its members', async () => {
    const operator = await cp.signedIn(cp.acme, 'operator');
    const sessionHash = (
      await cp.ownerQuery<{ id: string }>(
        'select s.id from sessions s join users u on u.id = s.user_id where u.email = $1',
        [cp.acme.emails.operator],
      )
    )[0]!.id;
    expect((await operator.call('auth.me')).status).toBe(200);
    const app = new pg.Client({ connectionString: cp.appUrl });
    await app.connect();
    try {
      const resolve = async (slug: string) =>
        (await app.query('select * from rc_resolve_session($1, $2)', [sessionHash, slug])).rows;
      const [own] = await resolve('acme');
      expect(own).toMatchObject({ email: cp.acme.emails.operator, tenant_slug: 'acme', role: 'operator' });
      // Not a member of globex: the session still resolves, but globex is not named (not even its id).
      expect(await resolve('globex')).toEqual([
        expect.objectContaining({
          email: cp.acme.emails.operator,
          tenant_id: null,
          tenant_slug: null,
          role: null,
        }),
      ]);
    } finally {
      await app.end();
    }
  });

  it('a cross-site form cannot post a mutation with the session cookie', async () => {
    const admin = await cp.signedIn(cp.acme, 'tenant_admin');
    const cookie = (admin as unknown as { cookie: string }).cookie;
    const modulesBefore = await cp.ownerQuery('select id from modules order by id');
    // The bodies a cross-site <form> can send without a CORS preflight.
    for (const [contentType, body] of [
      ['application/x-www-form-urlencoded', 'name=evil&ownerTeam=x&criticality=critical'],
      ['text/plain', JSON.stringify({ name: 'evil', ownerTeam: 'x', criticality: 'critical' })],
      [
        'multipart/form-data; boundary=x',
        '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nevil\r\n--x--',
      ],
    ]) {
      const response = await fetch(`${cp.url}/trpc/modules.create`, {
        method: 'POST',
        headers: { 'content-type': contentType!, cookie, 'x-tenant': 'acme' },
        body,
      });
      expect(response.status, contentType).toBe(400);
      const error = ((await response.json()) as { error: { data: { code: string } } }).error;
      expect(error.data.code).toBe('ERR_VALIDATION');
    }
    expect(await cp.ownerQuery('select id from modules order by id')).toEqual(modulesBefore);
    // A mutation that takes no input is the real target of a form post: still refused.
    const logout = await fetch(`${cp.url}/trpc/auth.logout`, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=x', cookie },
      body: '--x--',
    });
    expect(logout.status).toBe(400);
    expect((await admin.call('auth.me')).status).toBe(200);
    // Mutations come one per request (each audited under its own request id): a batch is refused.
    const batch = await fetch(`${cp.url}/trpc/modules.create,modules.create?batch=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, 'x-tenant': 'acme' },
      body: JSON.stringify({
        0: { name: 'batched-a', ownerTeam: 'x', criticality: 'critical' },
        1: { name: 'batched-b', ownerTeam: 'x', criticality: 'critical' },
      }),
    });
    expect(batch.status).toBe(400);
    expect(await cp.ownerQuery('select id from modules order by id')).toEqual(modulesBefore);
    // The same session, speaking JSON as the console does, is heard.
    const created = await admin.call('apiTokens.create', { name: 'json is fine', role: 'viewer' });
    expect(created.status, JSON.stringify(created.error)).toBe(200);
  });

  it('signing in and out is audited in every tenant the person belongs to, with the request trace id', async () => {
    const email = cp.acme.emails.viewer;
    const userId = cp.acme.users[email]!;
    // The acme viewer is also an auditor of globex.
    await cp.ownerQuery(`insert into memberships (tenant_id, user_id, role) values ($1, $2, 'auditor')`, [
      cp.globex.tenantId,
      userId,
    ]);
    const signInEvents = (action: string) =>
      cp.ownerQuery<{
        tenant_id: string;
        role: string;
        actor_label: string;
        trace_id: string;
        details: unknown;
      }>(
        `select tenant_id, role, actor_label, trace_id, details from audit_events
          where action = $1 and actor_id = $2 order by tenant_id`,
        [action, userId],
      );
    const client = cp.anonymous();
    const signedIn = await client.login(email, TEST_PASSWORD);
    const logins = await signInEvents('auth.login');
    const byTenant = (
      rows: Array<{ tenant_id: string; role: string; trace_id: string; actor_label: string }>,
    ) =>
      Object.fromEntries(
        rows
          .filter((r) => r.trace_id === signedIn.headers.get('x-trace-id'))
          .map((r) => [r.tenant_id, r.role]),
      );
    expect(byTenant(logins)).toEqual({ [cp.acme.tenantId]: 'viewer', [cp.globex.tenantId]: 'auditor' });

    const cookie = (client as unknown as { cookie: string }).cookie;
    const out = await client.call('auth.logout');
    expect(out.status).toBe(200);
    const logouts = await signInEvents('auth.logout');
    expect(
      Object.fromEntries(
        logouts.filter((r) => r.trace_id === out.headers.get('x-trace-id')).map((r) => [r.tenant_id, r.role]),
      ),
    ).toEqual({ [cp.acme.tenantId]: 'viewer', [cp.globex.tenantId]: 'auditor' });
    // A session already ended is not ended (nor audited) twice.
    const again = cp.anonymous();
    (again as unknown as { cookie: string }).cookie = cookie;
    expect((await again.call('auth.logout')).status).toBe(401);
    expect(await signInEvents('auth.logout')).toHaveLength(logouts.length);
    await cp.ownerQuery('delete from memberships where tenant_id = $1 and user_id = $2', [
      cp.globex.tenantId,
      userId,
    ]);
    // Both chains still verify with the new events in them.
    for (const tenant of [cp.acme, cp.globex]) {
      const rows = await cp.ownerQuery<StoredAuditRow>(AUDIT_ROWS_SQL, [tenant.tenantId]);
      expect(verifyAuditChain(rows)).toMatchObject({ ok: true });
    }
  });

  it('logout ends the session', async () => {
    const client = await cp.signedIn(cp.acme, 'viewer');
    expect((await client.call('auth.me')).status).toBe(200);
    const cookieBefore = (client as unknown as { cookie: string }).cookie;
    expect((await client.call('auth.logout')).status).toBe(200);
    const replay = cp.anonymous();
    (replay as unknown as { cookie: string }).cookie = cookieBefore;
    const after = await replay.call('auth.me');
    expect(after.status).toBe(401);
    expect(after.error?.data.code).toBe('ERR_UNAUTHENTICATED');
  });

  it('an anonymous caller gets 401 ERR_UNAUTHENTICATED on a tenant procedure', async () => {
    const response = await cp.anonymous().call('modules.list', undefined, { tenant: 'acme' });
    expect(response.status).toBe(401);
    expect(response.error?.data.code).toBe('ERR_UNAUTHENTICATED');
  });

  it('a member must name the tenant, and only a tenant they belong to', async () => {
    const operator = await cp.signedIn(cp.acme, 'operator');
    const noTenant = await operator.call('modules.list', undefined, { tenant: null });
    expect(noTenant.status).toBe(400);
    expect(noTenant.error?.data.code).toBe('ERR_TENANT_REQUIRED');
    for (const tenant of ['globex', 'no-such-tenant']) {
      const other = await operator.call('modules.list', undefined, { tenant });
      expect(other.status).toBe(403);
      expect(other.error?.data.code).toBe('ERR_FORBIDDEN');
    }
  });
});

describe('API tokens', () => {
  it('are shown once, stored hashed, scoped to one tenant and role, record their last use, and can be revoked', async () => {
    const admin = await cp.signedIn(cp.acme, 'tenant_admin');
    const created = await admin.call<{
      token: { id: string; prefix: string; lastUsedAt: null };
      secret: string;
    }>('apiTokens.create', { name: 'ci deploys', role: 'viewer' });
    expect(created.status).toBe(200);
    const { secret, token } = created.data;
    expect(secret.startsWith(token.prefix)).toBe(true);
    const [row] = await cp.ownerQuery<{ secret_hash: string }>(
      'select secret_hash from api_tokens where id = $1',
      [token.id],
    );
    expect(row!.secret_hash).not.toContain(secret);
    expect(row!.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    // The list never shows the secret again.
    const listed = await admin.call('apiTokens.list');
    expect(JSON.stringify(listed.data)).not.toContain(secret);

    const automation = cp.anonymous();
    automation.bearer = secret;
    const modules = await automation.call<Array<{ name: string }>>('modules.list', undefined, {
      tenant: null,
    });
    expect(modules.status).toBe(200);
    expect(modules.data.map((m) => m.name).sort()).toEqual(['billing', 'ocr']);
    // Its role is viewer: it cannot create modules.
    const create = await automation.call(
      'modules.create',
      { name: 'x', ownerTeam: 't', criticality: 'critical' },
      { tenant: null },
    );
    expect(create.status).toBe(403);
    // A token of acme never reaches globex.
    const cross = await automation.call('modules.list', undefined, { tenant: 'globex' });
    expect(cross.status).toBe(403);
    const [used] = await cp.ownerQuery<{ last_used_at: Date | null }>(
      'select last_used_at from api_tokens where id = $1',
      [token.id],
    );
    expect(used!.last_used_at).not.toBeNull();

    expect((await admin.call('apiTokens.revoke', { id: token.id })).status).toBe(200);
    const afterRevoke = await automation.call('modules.list', undefined, { tenant: null });
    expect(afterRevoke.status).toBe(401);
  });

  it('no token may be a security reviewer: approvals are made by people (400, nothing created)', async () => {
    const admin = await cp.signedIn(cp.acme, 'tenant_admin');
    const before = await cp.ownerQuery('select id from api_tokens order by id');
    const response = await admin.call('apiTokens.create', {
      name: 'auto-approve',
      role: 'security_reviewer',
    });
    expect(response.status).toBe(400);
    expect(response.error?.data.code).toBe('ERR_VALIDATION');
    expect(response.error?.data.fieldErrors?.role?.[0]).toMatch(/approvals are made by people/);
    expect(await cp.ownerQuery('select id from api_tokens order by id')).toEqual(before);
    // The database refuses one too, whoever writes it.
    await expect(
      cp.ownerQuery(
        `insert into api_tokens (id, tenant_id, name, role, prefix, secret_hash, created_by, expires_at)
         values (gen_random_uuid(), $1, 'sneaky', 'security_reviewer', 'rct_xxxxxx', $2, $3, now() + interval '1 day')`,
        [cp.acme.tenantId, 'f'.repeat(64), cp.acme.users[cp.acme.emails.tenant_admin]],
      ),
    ).rejects.toThrow(/api_tokens_role_not_security_reviewer/);
  });

  it('a tenant admin mints an operator token for the alerting that triggers level-1 mitigations', async () => {
    const admin = await cp.signedIn(cp.acme, 'tenant_admin');
    const created = await admin.call<{ secret: string }>('apiTokens.create', {
      name: 'alertmanager',
      role: 'operator',
    });
    expect(created.status, JSON.stringify(created.error)).toBe(200);
    const alerting = cp.anonymous();
    alerting.bearer = created.data.secret;
    // It acts as an operator: it may not manage modules.
    const create = await alerting.call(
      'modules.create',
      { name: 'y', ownerTeam: 't', criticality: 'critical' },
      { tenant: null },
    );
    expect(create.status).toBe(403);
  });

  it('records its last use at most once a minute, not on every request', async () => {
    const admin = await cp.signedIn(cp.acme, 'tenant_admin');
    const created = await admin.call<{ token: { id: string }; secret: string }>('apiTokens.create', {
      name: 'busy poller',
      role: 'viewer',
    });
    const poller = cp.anonymous();
    poller.bearer = created.data.secret;
    const lastUsed = async () =>
      (
        await cp.ownerQuery<{ last_used_at: Date | null }>(
          'select last_used_at from api_tokens where id = $1',
          [created.data.token.id],
        )
      )[0]!.last_used_at;
    expect((await poller.call('modules.list', undefined, { tenant: null })).status).toBe(200);
    const first = await lastUsed();
    expect(first).not.toBeNull();
    for (let i = 0; i < 3; i++)
      expect((await poller.call('modules.list', undefined, { tenant: null })).status).toBe(200);
    expect(await lastUsed()).toEqual(first);
    // Over a minute later, the next use is recorded again.
    await cp.ownerQuery("update api_tokens set last_used_at = now() - interval '2 minutes' where id = $1", [
      created.data.token.id,
    ]);
    const stale = await lastUsed();
    expect((await poller.call('modules.list', undefined, { tenant: null })).status).toBe(200);
    expect((await lastUsed())!.getTime()).toBeGreaterThan(stale!.getTime());
  });

  it('an operator cannot mint tokens (403, nothing created)', async () => {
    const operator = await cp.signedIn(cp.acme, 'operator');
    const before = await cp.ownerQuery('select id from api_tokens');
    const response = await operator.call('apiTokens.create', { name: 'sneaky', role: 'tenant_admin' });
    expect(response.status).toBe(403);
    expect(response.error?.data.code).toBe('ERR_FORBIDDEN');
    expect(await cp.ownerQuery('select id from api_tokens')).toEqual(before);
  });
});
