import { MikroORM } from '@mikro-orm/postgresql';
import { DEFAULT_CONNECTION_LIMITS, pgConnectionLimits, type ConnectionLimits } from './connection-limits';
import { ENTITIES } from './entities';

/**
 * The application's ORM, connected as the app role (RLS applies). Discovery is
 * explicit (EntitySchema), so there is no reflection and no decorators.
 */
export async function createOrm(
  appDatabaseUrl: string,
  options: { poolMax?: number; limits?: ConnectionLimits } = {},
): Promise<MikroORM> {
  return MikroORM.init({
    clientUrl: appDatabaseUrl,
    entities: ENTITIES,
    // Requests must fork their own EntityManager; using the global one is a bug.
    allowGlobalContext: false,
    // A database that does not answer fails a request in seconds (503 ERR_UNAVAILABLE), not a minute.
    pool: { min: 0, max: options.poolMax ?? 10, acquireTimeoutMillis: 10_000 },
    driverOptions: {
      connection: {
        connectionTimeoutMillis: 5_000,
        ...pgConnectionLimits(options.limits ?? DEFAULT_CONNECTION_LIMITS),
      },
    },
    debug: false,
  });
}
