import { createHash } from 'node:crypto';
import { context as otelContext, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import {
  defineAbilityFor,
  ERROR_CODES,
  fieldErrorsOf,
  FlagKey,
  OfrepEvaluationRequest,
  type ErrorCode,
  type OfrepBulkEvaluationFailure,
  type OfrepBulkEvaluationSuccess,
  type OfrepErrorCode,
  type OfrepEvaluationFailure,
  type OfrepEvaluationSuccess,
} from '@rc/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { API_TOKEN_PREFIX, authenticateCaller } from '../auth/authenticate';
import { isLockTimeout, LOCK_BUSY } from '../db/connection-limits';
import { DATABASE_UNAVAILABLE, isDatabaseUnavailable, warnDatabaseUnavailable } from '../db/unavailable';
import { tracer } from '../telemetry/tracer';
import type { AppDeps, TenantRequest } from '../trpc/context';
import { evaluateAllFlags, evaluateFlag } from './service';

/*
 * OpenFeature Remote Evaluation Protocol (OFREP) v1 for applications:
 *   POST /ofrep/v1/evaluate/flags/{key}  one flag
 *   POST /ofrep/v1/evaluate/flags        every flag of the tenant, with ETag / If-None-Match → 304
 * Callers authenticate with a tenant-scoped API token only (`Authorization: Bearer rct_…`); the
 * token's tenant is the only tenant they see. Errors use the OFREP shapes, with our stable code
 * at the start of `errorDetails` (e.g. `ERR_UNAUTHENTICATED: …`); `x-trace-id` is on every answer.
 */

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the OFREP routes' onRequest hook: the span of the evaluation and, once authenticated, the caller. */
    ofrep: { span: Span; caller: TenantRequest | null } | null;
  }
}

export const OFREP_PREFIX = '/ofrep/v1';

type KeyParams = { key?: string };

function flagKeyOf(request: FastifyRequest): string | undefined {
  return (request.params as KeyParams | undefined)?.key;
}

/** Sends an OFREP error: the single-flag shape (with `key`) on the single route, the bulk shape otherwise. */
function sendFailure(
  request: FastifyRequest,
  reply: FastifyReply,
  httpStatus: number,
  errorCode: OfrepErrorCode,
  code: ErrorCode,
  message: string,
): FastifyReply {
  request.ofrep?.span.setStatus({ code: SpanStatusCode.ERROR, message: code });
  const errorDetails = `${code}: ${message}`;
  const key = flagKeyOf(request);
  const body: OfrepEvaluationFailure | OfrepBulkEvaluationFailure =
    key === undefined ? { errorCode, errorDetails } : { key, errorCode, errorDetails };
  return reply.code(httpStatus).send(body);
}

function sendAppError(request: FastifyRequest, reply: FastifyReply, code: ErrorCode, message: string) {
  return sendFailure(request, reply, ERROR_CODES[code].httpStatus, 'GENERAL', code, message);
}

/** Runs `work` with the evaluation's span active, so its SQL lands in the request's trace. */
function inSpan<T>(request: FastifyRequest, work: () => Promise<T>): Promise<T> {
  const span = request.ofrep?.span;
  return span ? otelContext.with(trace.setSpan(otelContext.active(), span), work) : work();
}

/** A strong ETag for one tenant's exact bulk answer. */
export function bulkEtag(tenantId: string, flags: OfrepEvaluationSuccess[]): string {
  const digest = createHash('sha256').update(tenantId).update('\n').update(JSON.stringify(flags));
  return `"${digest.digest('base64url')}"`;
}

/** If-None-Match: a comma-separated list of (possibly weak) ETags, or `*`. */
function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header
    .split(',')
    .map((candidate) => candidate.trim().replace(/^W\//, ''))
    .some((candidate) => candidate === '*' || candidate === etag);
}

/** Checks the body against the OFREP request schema; answers 400 and returns false when it is not one. */
function acceptsBody(request: FastifyRequest, reply: FastifyReply): boolean {
  const parsed = OfrepEvaluationRequest.safeParse(request.body ?? {});
  if (parsed.success) return true;
  const fieldErrors = fieldErrorsOf(parsed.error);
  const details = Object.entries(fieldErrors)
    .map(([field, messages]) => `${field || '(body)'}: ${messages.join('; ')}`)
    .join(', ');
  const aboutContext = parsed.error.issues.every((issue) => issue.path[0] === 'context');
  sendFailure(
    request,
    reply,
    400,
    aboutContext ? 'INVALID_CONTEXT' : 'PARSE_ERROR',
    'ERR_VALIDATION',
    `invalid evaluation request (${details})`,
  );
  return false;
}

/**
 * The OFREP routes, as a fastify plugin (its hooks and error handler apply to these routes only).
 * Register with `app.register(ofrepRoutes, { prefix: OFREP_PREFIX, deps })`.
 */
export async function ofrepRoutes(app: FastifyInstance, options: { deps: AppDeps }): Promise<void> {
  const { deps } = options;
  app.decorateRequest('ofrep', null);

  // Authentication before the body is even read: an unauthenticated caller learns nothing.
  app.addHook('onRequest', async (request, reply) => {
    const span = tracer.startSpan(
      `ofrep ${request.routeOptions.url ?? request.url}`,
      { attributes: { 'feature_flag.provider_name': 'ofrep' } },
      trace.setSpan(otelContext.active(), request.traceSpan),
    );
    request.ofrep = { span, caller: null };
    const key = flagKeyOf(request);
    if (key !== undefined) span.setAttribute('feature_flag.key', key);

    const authorization = request.headers.authorization;
    if (!authorization?.startsWith(`Bearer ${API_TOKEN_PREFIX}`)) {
      reply.header('www-authenticate', 'Bearer');
      return sendAppError(
        request,
        reply,
        'ERR_UNAUTHENTICATED',
        'send an API token: Authorization: Bearer rct_…',
      );
    }
    // Tokens only: a session cookie never authenticates an OFREP call.
    const principal = await inSpan(request, () =>
      authenticateCaller(deps, { headers: request.headers, cookies: {} }),
    );
    if (!principal) {
      reply.header('www-authenticate', 'Bearer error="invalid_token"');
      return sendAppError(request, reply, 'ERR_UNAUTHENTICATED', 'unknown, expired or revoked API token');
    }
    if (!principal.tenant) {
      // The token names another tenant through x-tenant: answered like any foreign tenant.
      return sendAppError(request, reply, 'ERR_FORBIDDEN', 'this token belongs to another tenant');
    }
    const { role } = principal.tenant;
    const caller: TenantRequest = {
      deps,
      tenantId: principal.tenant.id,
      tenantSlug: principal.tenant.slug,
      actor: { kind: principal.kind, id: principal.id, label: principal.label, role, userId: null },
      ability: defineAbilityFor({ userId: principal.id, role }),
      requestId: request.id,
      traceId: span.spanContext().traceId,
    };
    if (caller.ability.cannot('read', 'Module')) {
      return sendAppError(request, reply, 'ERR_FORBIDDEN', `role ${role} may not read Module`);
    }
    request.ofrep.caller = caller;
  });

  app.addHook('onResponse', async (request) => {
    request.ofrep?.span.end();
  });

  // Body parsing errors (invalid JSON, unsupported media type, too large) and anything unexpected.
  app.setErrorHandler(async (error: Error & { statusCode?: number }, request, reply) => {
    const status = error.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return sendFailure(request, reply, status, 'PARSE_ERROR', 'ERR_VALIDATION', error.message);
    }
    if (isDatabaseUnavailable(error)) {
      request.ofrep?.span.recordException(error);
      warnDatabaseUnavailable(error);
      return sendAppError(request, reply, 'ERR_UNAVAILABLE', DATABASE_UNAVAILABLE);
    }
    if (isLockTimeout(error)) {
      request.ofrep?.span.recordException(error);
      return sendAppError(request, reply, 'ERR_UNAVAILABLE', LOCK_BUSY);
    }
    request.ofrep?.span.recordException(error);
    request.log.error({ err: error }, 'OFREP evaluation failed');
    console.error('[ofrep]', error);
    return sendFailure(request, reply, 500, 'GENERAL', 'ERR_INTERNAL', 'internal error');
  });

  app.post<{ Params: { key: string } }>('/evaluate/flags/:key', async (request, reply) => {
    const caller = request.ofrep?.caller;
    if (!caller) return sendAppError(request, reply, 'ERR_UNAUTHENTICATED', 'send an API token');
    if (!acceptsBody(request, reply)) return reply;
    const { key } = request.params;
    // A key that cannot exist is simply not found (the SDK then serves the caller's default).
    const flag = FlagKey.safeParse(key).success
      ? await inSpan(request, () => evaluateFlag(caller, key))
      : null;
    if (!flag) {
      return sendFailure(request, reply, 404, 'FLAG_NOT_FOUND', 'ERR_NOT_FOUND', `flag ${key} not found`);
    }
    return reply.code(200).send(flag);
  });

  app.post('/evaluate/flags', async (request, reply) => {
    const caller = request.ofrep?.caller;
    if (!caller) return sendAppError(request, reply, 'ERR_UNAUTHENTICATED', 'send an API token');
    if (!acceptsBody(request, reply)) return reply;
    const flags = await inSpan(request, () => evaluateAllFlags(caller));
    const etag = bulkEtag(caller.tenantId, flags);
    reply.header('etag', etag);
    if (matchesIfNoneMatch(request.headers['if-none-match'], etag)) return reply.code(304).send();
    const body: OfrepBulkEvaluationSuccess = { flags };
    return reply.code(200).send(body);
  });
}
