import type { EntityManager } from '@mikro-orm/postgresql';
import type { LoginInput, Me, Role } from '@rc/contracts';
import type { FastifyReply } from 'fastify';
import { appendAuditEvent } from '../audit/writer';
import { setTenantScope } from '../db/tenant-transaction';
import { AppError } from '../errors';
import type { AppDeps, Principal } from '../trpc/context';
import { SESSION_COOKIE } from './authenticate';
import { SessionSchema, UserSchema } from './entities';
import { verifyPassword } from './passwords';
import { newSecret, secretHash } from './secrets';

const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/**
 * Password login. Unknown account and wrong password give the same error after the same
 * work (a hash verification); every attempt counts against the rate limits, and a
 * successful one gives its account's points back.
 */
export async function login(
  deps: AppDeps,
  input: LoginInput,
  request: SignInRequest,
  reply: FastifyReply,
): Promise<Me> {
  const email = input.email.toLowerCase();
  // Counted before the check, so concurrent attempts cannot outrun the limit.
  await deps.loginRateLimiter.beforeAttempt(email, request.ip);
  // The app role cannot read password hashes; a definer function hands over this one.
  const {
    rows: [user],
  } = await deps.pool.query<{ user_id: string; password_hash: string }>(
    'select * from rc_password_hash($1)',
    [email],
  );
  const ok = await verifyPassword(user?.password_hash ?? null, input.password);
  if (!user || !ok) {
    throw new AppError('ERR_INVALID_CREDENTIALS', 'email or password is wrong');
  }
  await deps.loginRateLimiter.recordSuccess(email, request.ip);
  const secret = newSecret('rcs_');
  const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
  const sessionHash = secretHash(deps.config.sessionSecret, secret);
  await deps.orm.em.fork().transactional(async (tx) => {
    await tx.insert(SessionSchema, {
      id: sessionHash,
      userId: user.user_id,
      createdAt: new Date(),
      expiresAt,
    });
    await auditInEveryTenantOf(tx, { id: user.user_id, email }, 'auth.login', request, {
      expiresAt: expiresAt.toISOString(),
    });
  });
  reply.setCookie(SESSION_COOKIE, secret, {
    httpOnly: true,
    sameSite: 'lax',
    secure: deps.config.production,
    path: '/',
    expires: expiresAt,
  });
  return me(deps, user.user_id);
}

export async function logout(
  deps: AppDeps,
  principal: Principal,
  request: SignInRequest,
  reply: FastifyReply,
): Promise<{ ok: true }> {
  const { sessionHash } = principal;
  if (sessionHash) {
    await deps.orm.em.fork().transactional(async (tx) => {
      const ended = await tx.nativeDelete(SessionSchema, { id: sessionHash });
      if (ended > 0) {
        await auditInEveryTenantOf(tx, { id: principal.id, email: principal.label }, 'auth.logout', request);
      }
    });
  }
  reply.clearCookie(SESSION_COOKIE, { path: '/' });
  return { ok: true };
}

/** What login and logout know of their request, for rate limiting and the audit log. */
export interface SignInRequest {
  ip: string;
  requestId: string;
  traceId: string | null;
}

/**
 * Audit events live in a tenant's chain, and signing in or out is not tied to one tenant: the
 * event goes to every tenant the person belongs to, so each tenant's auditors see their members'
 * sessions. Same transaction as the session change. (Failed attempts are not audited: they change
 * nothing, writing them for known accounts only would tell an attacker which accounts exist, and
 * the rate limiter bounds them.)
 */
async function auditInEveryTenantOf(
  tx: EntityManager,
  user: { id: string; email: string },
  action: 'auth.login' | 'auth.logout',
  request: SignInRequest,
  details: Record<string, unknown> = {},
): Promise<void> {
  // RLS shows a user their own memberships.
  await tx.execute("select set_config('app.user_id', ?, true)", [user.id]);
  const memberships = await tx.execute<Array<{ tenant_id: string; role: Role }>>(
    'select tenant_id, role from memberships where user_id = ? order by tenant_id',
    [user.id],
  );
  for (const membership of memberships) {
    await setTenantScope(tx, { tenantId: membership.tenant_id, userId: user.id });
    await appendAuditEvent(tx, {
      tenantId: membership.tenant_id,
      actor: { kind: 'user', id: user.id, label: user.email, role: membership.role },
      action,
      resourceType: 'Session',
      details: { ip: request.ip, ...details },
      requestId: request.requestId,
      traceId: request.traceId,
    });
  }
}

/** The signed-in user and every tenant they belong to (RLS shows a user their own memberships). */
export async function me(deps: AppDeps, userId: string): Promise<Me> {
  const em = deps.orm.em.fork();
  return em.transactional(async (tx) => {
    await tx.execute("select set_config('app.user_id', ?, true)", [userId]);
    const user = await tx.findOneOrFail(UserSchema, { id: userId });
    const memberships = await tx.execute<
      Array<{ tenant_id: string; slug: string; name: string; role: Role }>
    >(
      `select m.tenant_id, t.slug, t.name, m.role
         from memberships m join tenants t on t.id = m.tenant_id
        where m.user_id = ? order by t.slug`,
      [userId],
    );
    return {
      userId: user.id,
      email: user.email,
      displayName: user.displayName,
      memberships: memberships.map((m) => ({
        tenantId: m.tenant_id,
        tenantSlug: m.slug,
        tenantName: m.name,
        role: m.role,
      })),
    };
  });
}
