import type { EntityManager } from '@mikro-orm/postgresql';
import type { TenantRequest } from '../trpc/context';
import { readInTenant, type Query } from './tenant-read';
import { inTenantTransaction } from './tenant-transaction';

/** One transaction in the request's tenant, as the request's actor. */
export function inRequestTenant<T>(
  request: TenantRequest,
  work: (em: EntityManager) => Promise<T>,
): Promise<T> {
  return inTenantTransaction(
    request.deps.orm,
    { tenantId: request.tenantId, userId: request.actor.userId },
    work,
  );
}

/** A read-only transaction in the request's tenant, without the ORM (for hot reads). */
export function readInRequestTenant<T>(
  request: TenantRequest,
  work: (query: Query) => Promise<T>,
): Promise<T> {
  return readInTenant(request.deps.pool, { tenantId: request.tenantId, userId: request.actor.userId }, work);
}
