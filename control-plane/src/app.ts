import type { FastifyInstance } from 'fastify';
import { LoginRateLimiter } from './auth/rate-limit';
import type { ControlPlaneConfig } from './config';
import { createOrm } from './db/orm';
import { createAppPool } from './db/pool';
import { buildServer } from './server';
import { createTemporalClient } from './temporal/client';
import type { AppDeps } from './trpc/context';

export interface ControlPlane {
  app: FastifyInstance;
  deps: AppDeps;
  url: string;
  close(): Promise<void>;
}

/** Connects to PostgreSQL and Temporal, then listens. Used by main.ts, tests and benchmarks alike. */
export async function startControlPlane(
  config: ControlPlaneConfig,
  options: { logger?: boolean } = {},
): Promise<ControlPlane> {
  const orm = await createOrm(config.appDatabaseUrl, { limits: config.connectionLimits });
  const temporal = await createTemporalClient(config.temporal);
  const pool = createAppPool(config.appDatabaseUrl, 10, config.connectionLimits);
  const deps: AppDeps = { orm, pool, config, temporal, loginRateLimiter: new LoginRateLimiter(orm) };
  const app = await buildServer(deps, options);
  const address = await app.listen({ host: config.host, port: config.port });
  return {
    app,
    deps,
    url: address,
    async close() {
      await app.close();
      await temporal.connection.close();
      await pool.end();
      await orm.close(true);
    },
  };
}
