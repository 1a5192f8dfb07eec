import { createRequire } from 'node:module';
import type pg from 'pg';
import { DEFAULT_CONNECTION_LIMITS, pgConnectionLimits, type ConnectionLimits } from './connection-limits';

// Loaded through require so the OpenTelemetry pg instrumentation (which patches require) sees it,
// and so it is the same module instance MikroORM's driver uses.
const require = createRequire(import.meta.url);
const { Pool } = require('pg') as typeof pg;

/**
 * A plain connection pool as the application role, for the hot read path (authentication
 * and tenant-scoped reads), where the ORM's unit of work would cost more than the query.
 * Writes go through MikroORM.
 */
export function createAppPool(
  appDatabaseUrl: string,
  max = 10,
  limits: ConnectionLimits = DEFAULT_CONNECTION_LIMITS,
): pg.Pool {
  // A database that does not answer fails a request in 5 s (503), instead of hanging for the
  // kernel's TCP timeout.
  const pool = new Pool({
    connectionString: appDatabaseUrl,
    max,
    connectionTimeoutMillis: 5_000,
    ...pgConnectionLimits(limits),
  });
  // An idle connection the server closed (PostgreSQL restarting, a failover): the pool drops it
  // and connects anew on the next query. Without a listener that 'error' would crash the process.
  pool.on('error', (error) => console.warn(`[db] idle connection lost: ${error.message}`));
  return pool;
}
