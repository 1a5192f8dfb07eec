import pg from 'pg';
import type { TenantScope } from './tenant-transaction';

/** Quotes one value as an SQL literal, by PostgreSQL's rules (strings through pg's escapeLiteral). */
export type Literal = (value: string | number | boolean | null) => string;

const literal: Literal = (value) => {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot inline ${value} into SQL`);
    // In parentheses: a negative number after a minus sign would otherwise start a comment.
    return `(${value})`;
  }
  return pg.escapeLiteral(value);
};

/**
 * One read-only statement bound to one tenant, in a single round trip: BEGIN READ ONLY, the
 * tenant (SET LOCAL semantics, as in `inTenantTransaction`), the statement and COMMIT travel as
 * one simple-protocol message. On this machine each round trip to PostgreSQL costs about as much
 * CPU as the rest of a read (see `npm run bench:api`), hence this path for hot reads.
 *
 * The simple protocol takes no parameters, so `statement` inlines its values, every one of them
 * through the `literal` it is given. Row-level security applies exactly as in
 * `inTenantTransaction`; the statement must still say `where tenant_id = …` itself.
 */
export async function readInTenant<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  scope: TenantScope,
  statement: (literal: Literal) => string,
): Promise<R[]> {
  const sql = [
    'begin read only',
    `select set_config('app.tenant_id', ${literal(scope.tenantId)}, true), ` +
      `set_config('app.user_id', ${literal(scope.userId ?? '')}, true)`,
    statement(literal),
    'commit',
  ].join(';\n');
  const client = await pool.connect();
  let results: pg.QueryResult<R>[];
  try {
    // Several statements in one message: pg answers with one result per statement.
    results = (await client.query<R>(sql)) as unknown as pg.QueryResult<R>[];
  } catch (error) {
    // The connection may be left inside the aborted transaction, tenant set: it is closed at
    // once, never handed to the next borrower. Closing it rolls back.
    client.release(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
  client.release();
  if (!Array.isArray(results) || results.length !== 4) {
    throw new Error('readInTenant takes exactly one statement');
  }
  return results[2]!.rows;
}
