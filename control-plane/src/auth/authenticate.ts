import type { IncomingHttpHeaders } from 'node:http';
import type { Role } from '@rc/contracts';
import type { AppDeps, BaseContext, Principal } from '../trpc/context';
import { secretHash } from './secrets';

export const SESSION_COOKIE = 'rc_session';
export const API_TOKEN_PREFIX = 'rct_';

/** What authentication reads from a request: its headers and parsed cookies. */
export interface CallerCredentials {
  headers: IncomingHttpHeaders;
  cookies: Record<string, string | undefined>;
}

function tenantSlugOf(req: CallerCredentials): string | null {
  const header = req.headers['x-tenant'];
  return typeof header === 'string' && header.length > 0 && header.length <= 63 ? header : null;
}

/**
 * Finds who is calling, in one round trip: an API token (Authorization: Bearer) or a
 * session cookie. Both lookups are narrow SECURITY DEFINER functions because no tenant
 * is known yet; everything after runs under row-level security.
 */
export function authenticate(ctx: BaseContext): Promise<Principal | null> {
  return authenticateCaller(ctx.deps, ctx.req);
}

/** `authenticate` outside tRPC (e.g. the OFREP routes): the same lookups from plain request parts. */
export async function authenticateCaller(deps: AppDeps, req: CallerCredentials): Promise<Principal | null> {
  // The plain pool, not the ORM: this runs on every request and is one function call.
  const { pool } = deps;
  const slug = tenantSlugOf(req);
  const authorization = req.headers.authorization;
  if (authorization?.startsWith(`Bearer ${API_TOKEN_PREFIX}`)) {
    const secret = authorization.slice('Bearer '.length).trim();
    const {
      rows: [token],
    } = await pool.query<{ id: string; tenant_id: string; tenant_slug: string; name: string; role: Role }>(
      'select * from rc_authenticate_api_token($1)',
      [secretHash(deps.config.sessionSecret, secret)],
    );
    if (!token) return null;
    // A token belongs to one tenant; naming another tenant gets nothing.
    const tenant =
      slug === null || slug === token.tenant_slug
        ? { id: token.tenant_id, slug: token.tenant_slug, role: token.role }
        : null;
    return { kind: 'api_token', id: token.id, label: `token:${token.name}`, tenant, sessionHash: null };
  }
  const cookie = req.cookies[SESSION_COOKIE];
  if (!cookie) return null;
  const sessionHash = secretHash(deps.config.sessionSecret, cookie);
  const {
    rows: [row],
  } = await pool.query<{
    user_id: string;
    email: string;
    tenant_id: string | null;
    tenant_slug: string | null;
    role: Role | null;
  }>('select * from rc_resolve_session($1, $2)', [sessionHash, slug]);
  if (!row) return null;
  const tenant =
    row.tenant_id && row.tenant_slug && row.role
      ? { id: row.tenant_id, slug: row.tenant_slug, role: row.role }
      : null;
  return { kind: 'user', id: row.user_id, label: row.email, tenant, sessionHash };
}
