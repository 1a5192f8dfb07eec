import type { Role } from '@rc/contracts';
import type { BaseContext, Principal } from '../trpc/context';
import { secretHash } from './secrets';

export const SESSION_COOKIE = 'rc_session';
export const API_TOKEN_PREFIX = 'rct_';

function tenantSlugOf(ctx: BaseContext): string | null {
  const header = ctx.req.headers['x-tenant'];
  return typeof header === 'string' && header.length > 0 && header.length <= 63 ? header : null;
}

/**
 * Finds who is calling, in one round trip: an API token (Authorization: Bearer) or a
 * session cookie. Both lookups are narrow SECURITY DEFINER functions because no tenant
 * is known yet; everything after runs under row-level security.
 */
export async function authenticate(ctx: BaseContext): Promise<Principal | null> {
  const em = ctx.deps.orm.em.fork();
  const slug = tenantSlugOf(ctx);
  const authorization = ctx.req.headers.authorization;
  if (authorization?.startsWith(`Bearer ${API_TOKEN_PREFIX}`)) {
    const secret = authorization.slice('Bearer '.length).trim();
    const [token] = await em.execute<
      Array<{ id: string; tenant_id: string; tenant_slug: string; name: string; role: Role }>
    >('select * from rc_authenticate_api_token(?)', [secretHash(ctx.deps.config.sessionSecret, secret)]);
    if (!token) return null;
    // A token belongs to one tenant; naming another tenant gets nothing.
    const tenant =
      slug === null || slug === token.tenant_slug
        ? { id: token.tenant_id, slug: token.tenant_slug, role: token.role }
        : null;
    return { kind: 'api_token', id: token.id, label: `token:${token.name}`, tenant, sessionHash: null };
  }
  const cookie = ctx.req.cookies[SESSION_COOKIE];
  if (!cookie) return null;
  const sessionHash = secretHash(ctx.deps.config.sessionSecret, cookie);
  const [row] = await em.execute<
    Array<{
      user_id: string;
      email: string;
      tenant_id: string | null;
      tenant_slug: string | null;
      role: Role | null;
    }>
  >('select * from rc_resolve_session(?, ?)', [sessionHash, slug]);
  if (!row) return null;
  const tenant =
    row.tenant_id && row.tenant_slug && row.role
      ? { id: row.tenant_id, slug: row.tenant_slug, role: row.role }
      : null;
  return { kind: 'user', id: row.user_id, label: row.email, tenant, sessionHash };
}
