import { randomBytes } from 'node:crypto';
import pg from 'pg';
import {
  createTestDatabase,
  temporalAddress,
  uniqueTaskQueue,
  workflowBundlePath,
} from '@rc/ops/test/harness';
import { startWorker, type RunningWorker, type StartWorkerOptions } from '@rc/workers';
import { seedTenant, usersForEveryRole, type SeededTenant } from '@rc/ops/seed';
import type { Role } from '@rc/contracts';
import { startControlPlane, type ControlPlane } from '../app';
import type { ControlPlaneConfig } from '../config';
import { DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from '../db/connection-limits';
import { ApiClient } from './api-client';

export const TEST_PASSWORD = 'correct horse battery staple';

export interface TestTenant extends SeededTenant {
  slug: string;
  /** email of the member holding each role */
  emails: Record<Role, string>;
}

export interface TestControlPlane extends ControlPlane {
  config: ControlPlaneConfig;
  ownerUrl: string;
  appUrl: string;
  /** A client already signed in as the member of `tenant` holding `role`. */
  signedIn(tenant: TestTenant, role: Role): Promise<ApiClient>;
  anonymous(): ApiClient;
  /** Runs SQL as the database owner (bypasses RLS): for arranging data and checking "nothing changed". */
  ownerQuery<T extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
  acme: TestTenant;
  globex: TestTenant;
  stop(): Promise<void>;
}

/**
 * A real control plane on a fresh database (cloned from the migrated template), listening on
 * a real port, with two tenants (acme, globex) that each have one member per role and two modules.
 */
export async function startTestControlPlane(
  options: {
    withWorker?: boolean;
    /** With the worker: wraps its activities, to inject a fault (see StartWorkerOptions). */
    wrapActivities?: StartWorkerOptions['wrapActivities'];
    /**
     * A migrated database (with the application login) to seed and use instead of a fresh copy
     * of the template, e.g. on a cluster of the test's own that it restarts; stop() leaves it.
     */
    database?: { ownerUrl: string; appUrl: string };
    /** Lock wait and idle-transaction limits of the control plane's and the worker's connections. */
    connectionLimits?: ConnectionLimits;
  } = {},
): Promise<TestControlPlane> {
  const db = options.database
    ? { ...options.database, drop: () => Promise.resolve() }
    : await createTestDatabase();
  const owner = new pg.Pool({ connectionString: db.ownerUrl, max: 2 });
  // An idle connection lost (the database restarted): the pool drops it and reconnects on next use.
  owner.on('error', () => undefined);
  const seed = async (slug: string): Promise<TestTenant> => {
    const users = usersForEveryRole(slug, TEST_PASSWORD);
    const client = await owner.connect();
    const seeded = await seedTenant(client, {
      slug,
      name: slug,
      users,
      modules: [
        { name: 'billing', ownerTeam: 'payments', criticality: 'critical' },
        { name: 'ocr', ownerTeam: 'documents', criticality: 'non_critical' },
      ],
      features: [
        { module: 'billing', key: 'billing.invoices', critical: true },
        { module: 'billing', key: 'billing.exports', critical: false },
        { module: 'ocr', key: 'ocr.auto-entry', critical: false },
      ],
      dependencies: [['ocr', 'billing']],
      integrations: [
        { name: 'payment-provider', healthUrl: 'http://127.0.0.1:9/health', usedBy: ['billing'] },
      ],
    }).finally(() => client.release());
    return {
      ...seeded,
      slug,
      emails: Object.fromEntries(users.map((u) => [u.role, u.email])) as Record<Role, string>,
    };
  };
  const acme = await seed('acme');
  const globex = await seed('globex');
  const config: ControlPlaneConfig = {
    appDatabaseUrl: db.appUrl,
    connectionLimits: options.connectionLimits ?? DEFAULT_CONNECTION_LIMITS,
    host: '127.0.0.1',
    port: 0,
    sessionSecret: randomBytes(32).toString('hex'),
    production: false,
    temporal: { address: temporalAddress(), namespace: 'default', taskQueue: uniqueTaskQueue('cp') },
  };
  const controlPlane = await startControlPlane(config);
  // A worker on this control plane's own task queue, so workflows it starts actually run.
  const worker: RunningWorker | null = options.withWorker
    ? await startWorker({
        temporalAddress: config.temporal.address,
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        appDatabaseUrl: db.appUrl,
        connectionLimits: config.connectionLimits,
        workflowBundlePath: workflowBundlePath(),
        wrapActivities: options.wrapActivities,
      })
    : null;
  return {
    ...controlPlane,
    config,
    ownerUrl: db.ownerUrl,
    appUrl: db.appUrl,
    acme,
    globex,
    anonymous: () => new ApiClient(controlPlane.url),
    async signedIn(tenant, role) {
      const client = new ApiClient(controlPlane.url, tenant.slug);
      await client.login(tenant.emails[role], TEST_PASSWORD);
      return client;
    },
    async ownerQuery<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) {
      return (await owner.query<T>(sql, params)).rows;
    },
    async stop() {
      await worker?.shutdown();
      await controlPlane.close();
      await owner.end();
      await db.drop();
    },
  };
}
