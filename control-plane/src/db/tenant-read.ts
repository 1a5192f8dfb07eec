import type pg from 'pg';
import type { TenantScope } from './tenant-transaction';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export type Query = <R extends pg.QueryResultRow>(sql: string, params?: unknown[]) => Promise<R[]>;

/**
 * A read-only transaction bound to one tenant, in three round trips: BEGIN + SET LOCAL
 * (one simple-protocol message), the reads, COMMIT. Row-level security applies exactly as
 * in `inTenantTransaction`; queries must still say `where tenant_id = $1` themselves
 * (the ORM filter's job on the write path).
 */
export async function readInTenant<T>(
  pool: pg.Pool,
  scope: TenantScope,
  work: (query: Query) => Promise<T>,
): Promise<T> {
  // Inlined into SQL below, so only ever a canonical uuid (both come from our own database).
  if (!UUID.test(scope.tenantId) || (scope.userId && !UUID.test(scope.userId))) {
    throw new Error('tenant scope must be made of uuids');
  }
  const client = await pool.connect();
  let result: T;
  try {
    await client.query(
      `begin read only; select set_config('app.tenant_id', '${scope.tenantId}', true), set_config('app.user_id', '${scope.userId ?? ''}', true)`,
    );
    result = await work(async (sql, params) => (await client.query(sql, params)).rows);
    await client.query('commit');
  } catch (error) {
    // The connection may still be inside the transaction (tenant set, a query of `work` still
    // running): it is closed at once, never handed to the next borrower. Closing it rolls back.
    client.release(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
  client.release();
  return result;
}
