/**
 * What a test needs from the shared test infrastructure (started once by global-setup.ts):
 * its own database, its own task queue, and where Temporal and the workflow bundle are.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { appDatabaseUrl } from '@rc/migrations';
import { createDatabase, dropDatabase } from '../src/postgres';

export interface TestDatabase {
  name: string;
  /** As the owner: bypasses row-level security (arrange data, check what really changed). */
  ownerUrl: string;
  /** As the application role: what the product connects as; RLS applies. */
  appUrl: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database: a copy of the template (fast; no migration per test). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('pgAdminUrl');
  // Unique across parallel forks and repeated calls; lower case so it needs no quoting.
  const name = `rc_test_${process.pid}_${randomBytes(5).toString('hex')}`;
  await createDatabase(adminUrl, name, inject('templateDb'));
  const ownerUrl = databaseUrl(adminUrl, name);
  let dropped: Promise<void> | undefined;
  return {
    name,
    ownerUrl,
    appUrl: appDatabaseUrl(ownerUrl, inject('appDbPassword')),
    drop: () => (dropped ??= dropDatabase(adminUrl, name)),
  };
}

/** Task queues isolate tests sharing the one Temporal server. */
export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

export function temporalAddress(): string {
  return inject('temporalAddress');
}

/** For Worker.create({ workflowBundle: { codePath: workflowBundlePath() } }). */
export function workflowBundlePath(): string {
  return inject('workflowBundlePath');
}

function databaseUrl(serverUrl: string, dbName: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(dbName)}`;
  return url.toString();
}

/** One statement on its own connection; the first row. */
export async function queryOne<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows[0]!;
  } finally {
    await client.end();
  }
}
