import type { LoginInput, Me, Role } from '@rc/contracts';
import type { FastifyReply } from 'fastify';
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
export async function login(deps: AppDeps, input: LoginInput, ip: string, reply: FastifyReply): Promise<Me> {
  const email = input.email.toLowerCase();
  // Counted before the check, so concurrent attempts cannot outrun the limit.
  await deps.loginRateLimiter.beforeAttempt(email, ip);
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
  await deps.loginRateLimiter.recordSuccess(email, ip);
  const em = deps.orm.em.fork();
  const secret = newSecret('rcs_');
  const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
  await em.insert(SessionSchema, {
    id: secretHash(deps.config.sessionSecret, secret),
    userId: user.user_id,
    createdAt: new Date(),
    expiresAt,
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
  reply: FastifyReply,
): Promise<{ ok: true }> {
  if (principal.sessionHash) {
    await deps.orm.em.fork().nativeDelete(SessionSchema, { id: principal.sessionHash });
  }
  reply.clearCookie(SESSION_COOKIE, { path: '/' });
  return { ok: true };
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
