/**
 * Once per `vitest run` (in the main process): a real PostgreSQL and a real Temporal server
 * for every test file, a migrated template database to clone per test, and the workflow
 * bundle (webpack is slow; do it once, not per worker). Tests reach them through harness.ts.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureAppLogin, migrate } from '@rc/migrations';
import { bundleWorkflows } from '@rc/workers';
import { createDatabase, startEmbeddedPostgres } from '../src/postgres';
import { isAlive } from '../src/processes';
import { resolveTemporalCli } from '../src/temporal-cli';
import { startTemporalDevServer } from '../src/temporal-server';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Owner (superuser) URL of the `postgres` database: CREATE/DROP DATABASE go through it. */
    pgAdminUrl: string;
    /** Migrated database that createTestDatabase() copies. */
    templateDb: string;
    /** Password of the application role (rc_app), the same in every copy (roles are cluster-wide). */
    appDbPassword: string;
    temporalAddress: string;
    /** File holding the bundled workflow code, for Worker.create({ workflowBundle: { codePath } }). */
    workflowBundlePath: string;
  }
}

export const TEMPLATE_DB = 'rc_template';
const TMP_PREFIX = 'rc-test-';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string) => console.log(`[test infra] ${line}`);
  const cleanups: Array<() => Promise<void>> = [];
  const teardown = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error(error));
  };

  await removeLeftoversOfInterruptedRuns();
  try {
    // mkdtemp gives a fresh, empty, uniquely named directory: initdb's requirements exactly.
    const pgDir = await fs.mkdtemp(path.join(os.tmpdir(), `${TMP_PREFIX}pg-`));
    const bundleDir = await fs.mkdtemp(path.join(os.tmpdir(), `${TMP_PREFIX}bundle-`));
    cleanups.push(() => fs.rm(bundleDir, { recursive: true, force: true }));

    // The three slow things do not depend on each other.
    const [postgres, temporal, workflowBundlePath] = await Promise.all([
      startEmbeddedPostgres({ dataDir: pgDir, persistent: false }).then((pg) => {
        cleanups.push(pg.stop);
        return pg;
      }),
      resolveTemporalCli({ log })
        .then((cliPath) => startTemporalDevServer({ cliPath, headless: true }))
        .then((server) => {
          cleanups.push(server.stop);
          return server;
        }),
      bundleWorkflows().then(async ({ code }) => {
        const file = path.join(bundleDir, 'workflow-bundle.js');
        await fs.writeFile(file, code);
        return file;
      }),
    ]);

    const appDbPassword = randomBytes(18).toString('base64url');
    await createDatabase(postgres.ownerUrl(), TEMPLATE_DB);
    await migrate(postgres.ownerUrl(TEMPLATE_DB));
    await ensureAppLogin(postgres.ownerUrl(TEMPLATE_DB), appDbPassword);

    project.provide('pgAdminUrl', postgres.ownerUrl());
    project.provide('templateDb', TEMPLATE_DB);
    project.provide('appDbPassword', appDbPassword);
    project.provide('temporalAddress', temporal.address);
    project.provide('workflowBundlePath', workflowBundlePath);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}

/**
 * A run killed during setup (Ctrl-C) never reaches its teardown and leaves its tmp dirs behind.
 * Remove those that are old and hold no running server; a concurrent run's dirs are recent.
 */
async function removeLeftoversOfInterruptedRuns(): Promise<void> {
  const tmp = os.tmpdir();
  const cutoff = Date.now() - 6 * 3600_000;
  for (const name of await fs.readdir(tmp).catch(() => [])) {
    if (!name.startsWith(TMP_PREFIX)) continue;
    const dir = path.join(tmp, name);
    try {
      if ((await fs.stat(dir)).mtimeMs > cutoff) continue;
      const pid = Number(
        (await fs.readFile(path.join(dir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0],
      );
      if (pid && isAlive(pid)) continue;
      await fs.rm(dir, { recursive: true, force: true });
    } catch {
      // Someone else's, or already gone: not ours to worry about.
    }
  }
}
