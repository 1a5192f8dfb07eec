/**
 * The console's one way to the API: a typed tRPC client over `/trpc` (same origin, so the
 * HTTP-only `rc_session` cookie rides along) and the TanStack Query client that caches its answers.
 *
 * Every tenant-scoped request carries the selected tenant in the `x-tenant` header, and every
 * tenant-scoped query key starts with `['tenant', slug]`: switching tenant never shows another
 * tenant's cached data, and one invalidation refreshes everything a mitigation may have changed.
 */
import { QueryCache, QueryClient } from '@tanstack/react-query';
import { createTRPCClient, httpBatchLink, httpLink, splitLink, TRPCClientError } from '@trpc/client';
import type { AppErrorData, ErrorCode } from '@rc/contracts';
import type { AppRouter } from '@rc/control-plane';

let tenantSlug: string | null = null;

/** The tenant every following request names (`x-tenant`). */
export function setRequestTenant(slug: string | null): void {
  tenantSlug = slug;
}

const connection = {
  url: '/trpc',
  headers: () => (tenantSlug ? { 'x-tenant': tenantSlug } : {}),
  fetch: (url: URL | RequestInfo, init?: RequestInit) => fetch(url, { ...init, credentials: 'same-origin' }),
};

/** Queries are batched; mutations go one per request, as the API requires (one audited request id each). */
export const api = createTRPCClient<AppRouter>({
  links: [
    splitLink({
      condition: (op) => op.type === 'mutation',
      true: httpLink(connection),
      false: httpBatchLink(connection),
    }),
  ],
});

export type TenantInfo = Awaited<ReturnType<typeof api.tenants.current.query>>;

/** The stable part of an API error: `error.data.code` (ERR_*), its field errors and trace id. */
export interface ApiProblem {
  code: ErrorCode | 'ERR_NETWORK';
  message: string;
  fieldErrors: Record<string, string[]>;
  traceId: string | null;
}

export function problemOf(error: unknown): ApiProblem {
  if (error instanceof TRPCClientError) {
    const data = (error.data ?? null) as Partial<AppErrorData> | null;
    if (data?.code) {
      return {
        code: data.code,
        message: error.message,
        fieldErrors: data.fieldErrors ?? {},
        traceId: data.traceId ?? null,
      };
    }
  }
  return {
    code: 'ERR_NETWORK',
    message: error instanceof Error ? error.message : String(error),
    fieldErrors: {},
    traceId: null,
  };
}

export function hasCode(error: unknown, ...codes: ApiProblem['code'][]): boolean {
  return error != null && codes.includes(problemOf(error).code);
}

/** Query keys, one place. Tenant-scoped ones start with the tenant prefix. */
export const queryKeys = {
  me: ['auth.me'] as const,
  tenant: (slug: string) => ['tenant', slug] as const,
  current: (slug: string) => ['tenant', slug, 'tenants.current'] as const,
  graph: (slug: string) => ['tenant', slug, 'catalog.graph'] as const,
  blastRadius: (slug: string, moduleId: string) => ['tenant', slug, 'catalog.blastRadius', moduleId] as const,
  mitigations: (slug: string) => ['tenant', slug, 'mitigations.list'] as const,
  breakers: (slug: string) => ['tenant', slug, 'breakers.list'] as const,
  audit: (slug: string, filter: object) => ['tenant', slug, 'audit.list', filter] as const,
};

/** Set when an action changed something that settles asynchronously (a workflow applies it). */
let pollFastUntil = 0;
export function pollFastForAWhile(ms = 20_000): void {
  pollFastUntil = Date.now() + ms;
}
/** Live views refresh every few seconds, every second right after an action. */
export function liveRefetchInterval(): number {
  return Date.now() < pollFastUntil ? 1000 : 5000;
}

const TRANSIENT = new Set<ApiProblem['code']>(['ERR_NETWORK', 'ERR_UNAVAILABLE']);

export const queryClient = new QueryClient({
  queryCache: new QueryCache({
    onError(error, query) {
      // A session that expired mid-use: ask who we are again, which shows the login page.
      if (hasCode(error, 'ERR_UNAUTHENTICATED') && query.queryKey[0] !== queryKeys.me[0]) {
        void queryClient.invalidateQueries({ queryKey: queryKeys.me });
      }
    },
  }),
  defaultOptions: {
    queries: {
      staleTime: 2000,
      // Only a transient outage (the control plane or its database unreachable) is worth asking
      // again; client errors (4xx) will not get better.
      retry: (failures, error) => TRANSIENT.has(problemOf(error).code) && failures < 2,
      refetchOnWindowFocus: true,
    },
  },
});
