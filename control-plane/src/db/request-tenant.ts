import type { EntityManager } from '@mikro-orm/postgresql';
import type { TenantRequest } from '../trpc/context';
import type { QueryResultRow } from 'pg';
import { readInTenant, type Literal } from './tenant-read';
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

/** One read-only statement in the request's tenant, in one round trip (for hot reads; see tenant-read.ts). */
export function readInRequestTenant<R extends QueryResultRow>(
  request: TenantRequest,
  statement: (literal: Literal) => string,
): Promise<R[]> {
  return readInTenant<R>(
    request.deps.pool,
    { tenantId: request.tenantId, userId: request.actor.userId },
    statement,
  );
}
