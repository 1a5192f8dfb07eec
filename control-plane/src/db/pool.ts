import { createRequire } from 'node:module';
import type pg from 'pg';

// Loaded through require so the OpenTelemetry pg instrumentation (which patches require) sees it,
// and so it is the same module instance MikroORM's driver uses.
const require = createRequire(import.meta.url);
const { Pool } = require('pg') as typeof pg;

/**
 * A plain connection pool as the application role, for the hot read path (authentication
 * and tenant-scoped reads), where the ORM's unit of work would cost more than the query.
 * Writes go through MikroORM.
 */
export function createAppPool(appDatabaseUrl: string, max = 10): pg.Pool {
  return new Pool({ connectionString: appDatabaseUrl, max });
}
