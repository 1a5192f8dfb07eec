/**
 * `npm start`: brings up PostgreSQL and Temporal (real ones: embedded/local unless URLs are
 * given), migrates, seeds the demo, then runs the control plane and the worker until Ctrl-C.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import getPort from 'get-port';
import { ensureConsoleBuilt } from '@rc/console/ensure-built';
import { appDatabaseUrl, ensureAppLogin, migrate } from '@rc/migrations';
import { postgresUserCanReach, startEmbeddedPostgres } from './postgres';
import { Shutdown, spawnNode, type NodeProcess } from './processes';
import { resolveTemporalCli } from './temporal-cli';
import { startTemporalDevServer, waitForPollers } from './temporal-server';

const ROOT = path.resolve(import.meta.dirname, '../..');
/**
 * Everything `npm start` keeps between runs (secrets, PostgreSQL cluster, Temporal's SQLite file,
 * runtime.json). `RC_DATA_DIR` moves it (the end-to-end test of this script uses a temp dir).
 */
const DATA = process.env.RC_DATA_DIR ? path.resolve(process.env.RC_DATA_DIR) : path.join(ROOT, '.data');
/** A path as messages show it: relative to the clone when inside it (`.data/…`), else absolute. */
const shown = (file: string) => {
  const relative = path.relative(ROOT, file);
  return !relative || relative.startsWith('..') ? file : relative;
};
const DATA_SHOWN = shown(DATA);
const SECRETS_FILE = path.join(DATA, 'secrets.json');
/** Read by offline tools (audit:verify); same shape as RuntimeInfo in control-plane/src/config.ts. */
const RUNTIME_FILE = path.join(DATA, 'runtime.json');
const CONTROL_PLANE_ENTRY = 'control-plane/src/main.ts';
const WORKER_ENTRY = 'workers/src/main.ts';
const LOCALHOST = '127.0.0.1';

/** Demo-only secrets, generated on first start and kept so sessions and logins survive restarts. */
interface DemoSecrets {
  appDbPassword: string;
  sessionSecret: string;
  demoPassword: string;
}

const log = (line: string) => console.log(`${'[start]'.padEnd(15)} ${line}`);
const production = process.env.NODE_ENV === 'production';
const env = (name: string) => process.env[name] || undefined;

const shutdown = new Shutdown(log);
shutdown.handleSignals();

try {
  await main();
} catch (error) {
  // The message says what to do; the stack only helps when debugging this script.
  const detail = error instanceof Error ? (process.env.DEBUG ? error.stack : error.message) : String(error);
  console.error(`\n${detail}\n`);
  await shutdown.shutdown(1);
}

async function main(): Promise<void> {
  if (production) assertProductionConfig();
  for (const entry of [CONTROL_PLANE_ENTRY, WORKER_ENTRY]) {
    if (!existsSync(path.join(ROOT, entry))) throw new Error(`${entry} does not exist yet.`);
  }
  const secrets = production ? undefined : await loadOrCreateDemoSecrets();
  // The console the control plane serves: built when console/dist is missing or older than its sources.
  await ensureConsoleBuilt({ log });

  // (a) PostgreSQL
  let ownerUrl = env('DATABASE_URL');
  let postgresNote = 'DATABASE_URL';
  if (!ownerUrl) {
    const dataDir = embeddedPostgresDir();
    const port = env('PGPORT') ? Number(env('PGPORT')) : await getPort({ host: LOCALHOST, port: 5433 });
    log(`starting embedded PostgreSQL (${shown(dataDir)}, port ${port})…`);
    const postgres = await startEmbeddedPostgres({ dataDir, port, persistent: true });
    shutdown.add('PostgreSQL', postgres.stop);
    ownerUrl = postgres.ownerUrl();
    postgresNote = `embedded, data in ${shown(dataDir)}, port ${port}`;
  }

  // (b) Temporal
  let temporalAddress = env('TEMPORAL_ADDRESS');
  let temporalUi: string | undefined;
  if (!temporalAddress) {
    const cliPath = await resolveTemporalCli({ log });
    const port = env('TEMPORAL_PORT')
      ? Number(env('TEMPORAL_PORT'))
      : await getPort({ host: LOCALHOST, port: 7233 });
    const uiPort = env('TEMPORAL_UI_PORT')
      ? Number(env('TEMPORAL_UI_PORT'))
      : await getPort({ host: LOCALHOST, port: 8233, exclude: [port] });
    log(`starting Temporal dev server (${path.join(DATA_SHOWN, 'temporal.db')}, port ${port})…`);
    await fs.mkdir(DATA, { recursive: true });
    const temporal = await startTemporalDevServer({
      cliPath,
      port,
      uiPort,
      dbFile: path.join(DATA, 'temporal.db'),
    });
    shutdown.add('Temporal', temporal.stop);
    temporalAddress = temporal.address;
    temporalUi = temporal.uiUrl;
  }

  // (c) schema and the application role (RLS applies to it; it owns nothing)
  const applied = await migrate(ownerUrl);
  log(applied.length ? `migrations applied: ${applied.join(', ')}` : 'database schema is up to date');
  let appUrl = env('APP_DATABASE_URL');
  if (!appUrl) {
    // Not production (checked above), so the demo secrets exist.
    await ensureAppLogin(ownerUrl, secrets!.appDbPassword);
    appUrl = appDatabaseUrl(ownerUrl, secrets!.appDbPassword);
  }
  const sessionSecret = env('SESSION_SECRET') ?? secrets!.sessionSecret;

  // (e) demo data (never in production)
  let logins: Array<{ tenant: string; email: string; role: string; password: string }> = [];
  if (secrets) {
    // Loaded only here: it pulls in the control plane's password hashing, unused in production.
    const { seedDemo } = await import('./seed');
    ({ logins } = await seedDemo({ ownerUrl, demoPassword: secrets.demoPassword }));
  }

  await fs.mkdir(DATA, { recursive: true });
  await writePrivateJson(RUNTIME_FILE, { ownerUrl, appUrl, temporalAddress });
  shutdown.add('runtime file', () => fs.rm(RUNTIME_FILE, { force: true }));

  // (f) the application processes
  const host = env('HOST') ?? LOCALHOST;
  const port = env('PORT') ? Number(env('PORT')) : await getPort({ host, port: 3000 });
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: ownerUrl,
    APP_DATABASE_URL: appUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: env('TEMPORAL_NAMESPACE') ?? 'default',
    TEMPORAL_TASK_QUEUE: env('TEMPORAL_TASK_QUEUE') ?? 'reliability-center',
    HOST: host,
    PORT: String(port),
    SESSION_SECRET: sessionSecret,
  };
  const worker = spawnNode('worker', WORKER_ENTRY, { env: childEnv, cwd: ROOT });
  shutdown.add('worker', () => worker.stop());
  exitWithChild(worker);
  const controlPlane = spawnNode('control-plane', CONTROL_PLANE_ENTRY, { env: childEnv, cwd: ROOT });
  shutdown.add('control plane', () => controlPlane.stop());
  exitWithChild(controlPlane);

  const url = `http://${host === '0.0.0.0' ? LOCALHOST : host}:${port}`;
  await waitForHttp(url, controlPlane);
  // "Running" means a mitigation would run now: the worker (which bundles its workflows at start)
  // polls the task queue for workflows and activities.
  log(`waiting for the worker to poll task queue ${childEnv.TEMPORAL_TASK_QUEUE}…`);
  const temporalConnection = await Connection.connect({ address: temporalAddress });
  try {
    await waitForPollers(temporalConnection, childEnv.TEMPORAL_TASK_QUEUE!, {
      child: worker,
      activities: true,
      namespace: childEnv.TEMPORAL_NAMESPACE,
    });
  } finally {
    await temporalConnection.close();
  }

  // (g) what to open and how to log in
  const lines = [
    '',
    'Reliability Center is running',
    `  Console and API   ${url}`,
    `  Temporal          ${temporalAddress}${temporalUi ? `   (UI ${temporalUi})` : ''}`,
    `  PostgreSQL        ${postgresNote}`,
  ];
  if (logins.length) {
    lines.push('', `Demo logins (generated password, kept in ${path.join(DATA_SHOWN, 'secrets.json')}):`);
    const rows = [
      ['tenant', 'role', 'email', 'password'],
      ...logins.map((l) => [l.tenant, l.role, l.email, l.password]),
    ];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const row of rows) lines.push(`  ${row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')}`);
  }
  lines.push('', 'Ctrl-C stops everything.', '');
  console.log(lines.join('\n'));
}

/** A production start must be given its secrets; we never invent them there. */
function assertProductionConfig(): void {
  const missing = ['DATABASE_URL', 'APP_DATABASE_URL', 'SESSION_SECRET', 'TEMPORAL_ADDRESS'].filter(
    (n) => !env(n),
  );
  if (missing.length) {
    throw new Error(
      `NODE_ENV=production: refusing to start without ${missing.join(', ')}. ` +
        'Production uses no generated secrets, no embedded PostgreSQL and no Temporal dev server.',
    );
  }
}

async function loadOrCreateDemoSecrets(): Promise<DemoSecrets> {
  let stored: Partial<DemoSecrets> = {};
  try {
    stored = JSON.parse(await fs.readFile(SECRETS_FILE, 'utf8')) as Partial<DemoSecrets>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new Error(`${SECRETS_FILE} is unreadable`, { cause: error });
  }
  const secrets: DemoSecrets = {
    appDbPassword: stored.appDbPassword ?? randomBytes(24).toString('base64url'),
    sessionSecret: stored.sessionSecret ?? randomBytes(48).toString('base64url'),
    demoPassword: stored.demoPassword ?? `demo-${randomBytes(9).toString('base64url')}`,
  };
  if (Object.keys(secrets).some((key) => !(key in stored))) {
    await fs.mkdir(DATA, { recursive: true });
    await writePrivateJson(SECRETS_FILE, secrets);
    log(`generated demo secrets in ${path.join(DATA_SHOWN, 'secrets.json')}`);
  }
  return secrets;
}

/**
 * `.data/postgres` in the clone; but as root the server runs as the OS user `postgres`, which
 * cannot enter a clone under a private home (e.g. /root). Then a per-clone (or, with
 * RC_DATA_DIR, per-data-directory) directory under /var/tmp keeps the data across restarts instead.
 */
function embeddedPostgresDir(): string {
  const preferred = path.join(DATA, 'postgres');
  if (postgresUserCanReach(preferred)) return preferred;
  // Keyed by the clone when DATA is the default (as it always was), else by DATA: two data
  // directories must never share one cluster.
  const key = DATA === path.join(ROOT, '.data') ? ROOT : DATA;
  const id = createHash('sha256').update(key).digest('hex').slice(0, 12);
  const fallback = path.join('/var/tmp', `reliability-center-${id}`, 'postgres');
  log(`${preferred} is not reachable by the "postgres" OS user; keeping the database in ${fallback}`);
  return fallback;
}

async function writePrivateJson(file: string, value: unknown): Promise<void> {
  await fs.writeFile(file, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
}

/** An application process that dies takes the whole stack down, loudly. */
function exitWithChild(child: NodeProcess): void {
  void child.exited.then(({ code, signal }) => {
    if (shutdown.started) return; // we stopped it
    log(`${child.name} exited unexpectedly (${signal ?? `code ${code}`}); stopping everything.`);
    void shutdown.shutdown(1);
  });
}

/** Any HTTP answer means the control plane listens; give it time to connect to its dependencies. */
async function waitForHttp(url: string, child: NodeProcess, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.child.exitCode !== null || child.child.signalCode !== null) return; // exitWithChild reports it
    try {
      await fetch(url, { signal: AbortSignal.timeout(2000) });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }
  throw new Error(`the control plane did not answer on ${url} within ${timeoutMs / 1000} s`);
}
