import { randomUUID } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import { isSpanContextValid, SpanKind, trace, type Span } from '@opentelemetry/api';
import { fastifyTRPCPlugin, type FastifyTRPCPluginOptions } from '@trpc/server/adapters/fastify';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import { ERROR_CODES, type AppErrorData } from '@rc/contracts';
import Fastify, { type FastifyInstance } from 'fastify';
import { OFREP_PREFIX, ofrepRoutes } from './ofrep/routes';
import { serveConsole } from './console/serve-console';
import { createContextFactory, type AppDeps } from './trpc/context';
import { appRouter, type AppRouter } from './trpc/router';
import { tracer } from './telemetry/tracer';
import { AppError } from './errors';
import { isLockTimeout } from './db/connection-limits';
import { isDatabaseUnavailable, warnDatabaseUnavailable } from './db/unavailable';
import { parseTrustProxy } from './trust-proxy';

declare module 'fastify' {
  interface FastifyRequest {
    /** The span of this request: the HTTP instrumentation's, or one we start when none is active. */
    traceSpan: Span;
    ownedSpan: Span | null;
  }
}

/** Builds the HTTP server: tRPC under /trpc, OpenFeature (OFREP) under /ofrep/v1, health, and the built console. */
export async function buildServer(
  deps: AppDeps,
  options: { logger?: boolean } = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    genReqId: () => randomUUID(),
    // Batched tRPC calls put every procedure name in the path.
    routerOptions: { maxParamLength: 5000 },
    bodyLimit: 1024 * 1024,
    // Only the listed proxies' X-Forwarded-For is believed; a bad value stops startup.
    trustProxy: parseTrustProxy(process.env.TRUST_PROXY),
  });

  app.decorateRequest('traceSpan', null as unknown as Span);
  app.decorateRequest('ownedSpan', null);
  app.addHook('onRequest', async (request, reply) => {
    let span = trace.getActiveSpan();
    if (!span || !isSpanContextValid(span.spanContext())) {
      span = tracer.startSpan(`${request.method} ${request.url.split('?')[0]}`, { kind: SpanKind.SERVER });
      request.ownedSpan = span;
    }
    request.traceSpan = span;
    reply.header('x-trace-id', span.spanContext().traceId);
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request) => {
    request.ownedSpan?.end();
  });
  // tRPC mutations (POST) are refused before parsing unless:
  // - the body is application/json: a cross-site form can POST only form or text bodies, so the
  //   session cookie cannot be ridden (CSRF);
  // - they come one per request: each mutation's audit event then names its own request id,
  //   which is also how a retried extension is recognised (see mitigations/service.ts).
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'POST' || !request.routeOptions.url?.startsWith('/trpc/')) return;
    const mediaType = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
    const batched = (request.params as { path?: string }).path?.includes(',') ?? false;
    if (mediaType === 'application/json' && !batched) return;
    const { httpStatus, classification } = ERROR_CODES.ERR_VALIDATION;
    const problem = batched
      ? 'send one mutation per request (batch queries only)'
      : 'content-type must be application/json';
    return reply.code(httpStatus).send({
      error: {
        message: problem,
        code: TRPC_ERROR_CODES_BY_KEY.BAD_REQUEST,
        data: {
          code: 'ERR_VALIDATION',
          classification,
          httpStatus,
          fieldErrors: { '': [problem] },
          traceId: request.traceSpan.spanContext().traceId,
        } satisfies AppErrorData,
      },
    });
  });

  await app.register(fastifyCookie);
  await app.register(fastifyTRPCPlugin, {
    prefix: '/trpc',
    trpcOptions: {
      router: appRouter,
      createContext: createContextFactory(deps),
      onError({ error, path }) {
        // Refusals (AppError) are answers, not faults; everything else that became a 500 or 503
        // is logged, so a bug is never only a number in a client's console.
        if (error.code !== 'INTERNAL_SERVER_ERROR' || error.cause instanceof AppError) return;
        if (isDatabaseUnavailable(error.cause)) {
          warnDatabaseUnavailable(error.cause);
          return;
        }
        // Contention, not a bug: one line naming the procedure, no stack.
        if (isLockTimeout(error.cause)) {
          console.warn(`[db] ${path ?? '?'} gave up waiting for a lock (503 ERR_UNAVAILABLE)`);
          return;
        }
        app.log.error({ err: error, path }, 'unexpected error in procedure');
        console.error(`[trpc] ${path ?? '?'}:`, error.cause ?? error);
      },
    } satisfies FastifyTRPCPluginOptions<AppRouter>['trpcOptions'],
  });

  // OpenFeature Remote Evaluation Protocol for applications (API token auth).
  await app.register(ofrepRoutes, { prefix: OFREP_PREFIX, deps });
  app.get('/healthz', async () => ({ ok: true }));
  // The built console for every other GET (index.html for its page paths).
  await serveConsole(app);
  return app;
}
