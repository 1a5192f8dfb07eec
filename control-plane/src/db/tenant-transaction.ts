import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';

export interface TenantScope {
  tenantId: string;
  /** The acting user, when a person acts (lets RLS show them their own memberships). */
  userId?: string | null;
}

/**
 * Runs `work` in one transaction bound to one tenant, three ways at once:
 * `SET LOCAL app.tenant_id` (row-level security, safe with pooling because it ends
 * with the transaction), the ORM's `tenant` filter, and the caller setting tenant_id on inserts.
 */
export async function inTenantTransaction<T>(
  orm: MikroORM,
  scope: TenantScope,
  work: (em: EntityManager) => Promise<T>,
): Promise<T> {
  const em = orm.em.fork({ clear: true });
  return em.transactional(async (tx) => {
    // Filter params are set on the transaction's own fork: a fork can drop them.
    tx.setFilterParams('tenant', { tenantId: scope.tenantId });
    await setTenantScope(tx, scope);
    return work(tx);
  });
}

/**
 * Names the tenant (and the acting user) for row-level security until the current transaction
 * ends (SET LOCAL semantics, so a pooled connection never carries it to the next borrower).
 */
export async function setTenantScope(tx: EntityManager, scope: TenantScope): Promise<void> {
  await tx.execute("select set_config('app.tenant_id', ?, true), set_config('app.user_id', ?, true)", [
    scope.tenantId,
    scope.userId ?? '',
  ]);
}

/** A transaction with no tenant: RLS shows no tenant-owned row at all. For global tables only. */
export async function inGlobalTransaction<T>(
  orm: MikroORM,
  work: (em: EntityManager) => Promise<T>,
): Promise<T> {
  const em = orm.em.fork({ clear: true });
  return em.transactional(async (tx) => work(tx));
}
