import { context as otelContext, SpanStatusCode, trace } from '@opentelemetry/api';
import { initTRPC } from '@trpc/server';
import { defineAbilityFor, type Action, type SubjectName } from '@rc/contracts';
import { authenticate } from '../auth/authenticate';
import { AppError } from '../errors';
import { recordAudit } from '../audit/record';
import { inRequestTenant } from '../db/request-tenant';
import { tracer } from '../telemetry/tracer';
import type { BaseContext, TenantRequest } from './context';
import { formatError } from './errors';

/** Every procedure built with `protectedProcedure` carries the permission it needs, readable by tests and tools. */
export interface ProcedureMeta {
  /** public: anyone (login); user: any signed-in caller, no tenant; tenant: a member of the named tenant. */
  scope: 'public' | 'user' | 'tenant';
  /** Required for tenant procedures. */
  permission?: { action: Action; subject: SubjectName };
}

const t = initTRPC
  .context<BaseContext>()
  .meta<ProcedureMeta>()
  .create({
    errorFormatter({ shape, error, ctx }) {
      return formatError(shape, error, ctx?.span.spanContext().traceId ?? null);
    },
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Each call is a span, child of the request's span, so one trace covers HTTP → tRPC → SQL → workflow. */
const traced = t.middleware(async ({ ctx, path, type, next }) => {
  const parent = trace.setSpan(otelContext.active(), ctx.span);
  return tracer.startActiveSpan(
    `trpc ${path}`,
    { attributes: { 'rpc.system': 'trpc', 'rpc.method': path, 'rpc.trpc.type': type } },
    parent,
    async (span) => {
      try {
        const result = await next({ ctx: { traceId: span.spanContext().traceId } });
        if (!result.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: result.error.message });
        return result;
      } finally {
        span.end();
      }
    },
  );
});

export const publicProcedure = t.procedure.use(traced).meta({ scope: 'public' });

/** A caller with a valid session cookie or API token (401 otherwise). */
export const authedProcedure = t.procedure
  .use(traced)
  .meta({ scope: 'user' })
  .use(async ({ ctx, next }) => {
    const principal = await authenticate(ctx);
    if (!principal) throw new AppError('ERR_UNAUTHENTICATED', 'sign in or send an API token');
    return next({ ctx: { principal } });
  });

/** Tenant-scoped: the caller must belong to the tenant the request names (header `x-tenant`). */
const tenantProcedure = authedProcedure.use(async ({ ctx, next }) => {
  const { principal } = ctx;
  if (!principal.tenant) {
    if (principal.kind === 'user' && !ctx.req.headers['x-tenant']) {
      throw new AppError('ERR_TENANT_REQUIRED', 'name the tenant with the x-tenant header');
    }
    // Unknown tenant and "not your tenant" answer alike.
    throw new AppError('ERR_FORBIDDEN', 'not a member of this tenant');
  }
  const { role } = principal.tenant;
  const userId = principal.kind === 'user' ? principal.id : null;
  const request: TenantRequest = {
    deps: ctx.deps,
    tenantId: principal.tenant.id,
    tenantSlug: principal.tenant.slug,
    actor: { kind: principal.kind, id: principal.id, label: principal.label, role, userId },
    ability: defineAbilityFor({ userId: principal.id, role }),
    requestId: ctx.requestId,
    traceId: ctx.traceId,
  };
  return next({ ctx: { request } });
});

/**
 * The only way to build a tenant procedure: it names the action and subject it needs,
 * and the caller's CASL ability decides before the handler runs. A refused mutation is audited.
 */
export function protectedProcedure(action: Action, subject: SubjectName) {
  return tenantProcedure
    .meta({ scope: 'tenant', permission: { action, subject } })
    .use(async ({ ctx, type, path, next }) => {
      const { request } = ctx;
      if (request.ability.cannot(action, subject)) {
        if (type === 'mutation') {
          await inRequestTenant(request, (em) =>
            recordAudit(em, request, {
              action: path,
              resourceType: subject,
              outcome: 'denied',
              reason: `role ${request.actor.role} may not ${action} ${subject}`,
            }),
          );
        }
        throw new AppError('ERR_FORBIDDEN', `your role may not ${action} ${subject}`);
      }
      return next();
    });
}
