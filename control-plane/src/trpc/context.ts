import type { MikroORM } from '@mikro-orm/postgresql';
import type { Span } from '@opentelemetry/api';
import type { Client as TemporalClient } from '@temporalio/client';
import type { AppAbility, Role } from '@rc/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { LoginRateLimiter } from '../auth/rate-limit';
import type { ControlPlaneConfig } from '../config';

/** Long-lived things a request may use. Nothing in here holds per-tenant state. */
export interface AppDeps {
  orm: MikroORM;
  /** Plain pool as the app role, for authentication and hot tenant reads (see db/tenant-read.ts). */
  pool: pg.Pool;
  config: ControlPlaneConfig;
  temporal: TemporalClient;
  loginRateLimiter: LoginRateLimiter;
}

/** Who is calling: a person with a session, or an automation with an API token. */
export interface Principal {
  kind: 'user' | 'api_token';
  /** User id, or API token id. */
  id: string;
  label: string;
  /** For a user: the role in the tenant named by the request (if a member). For a token: its own. */
  tenant: { id: string; slug: string; role: Role } | null;
  sessionHash: string | null;
}

/** Everything a tenant-scoped handler knows about its request. Passed to services as is. */
export interface TenantRequest {
  deps: AppDeps;
  tenantId: string;
  tenantSlug: string;
  actor: { kind: 'user' | 'api_token'; id: string; label: string; role: Role; userId: string | null };
  ability: AppAbility;
  requestId: string;
  traceId: string | null;
}

export interface BaseContext {
  deps: AppDeps;
  req: FastifyRequest;
  reply: FastifyReply;
  requestId: string;
  ip: string;
  /** The request's span (HTTP instrumentation's, or our own when tracing is not instrumented). */
  span: Span;
}

export function createContextFactory(deps: AppDeps) {
  return ({ req, res }: { req: FastifyRequest; res: FastifyReply }): BaseContext => ({
    deps,
    req,
    reply: res,
    requestId: req.id,
    ip: req.ip,
    span: req.traceSpan,
  });
}
