/**
 * What the benchmarks (`api.ts`, `mitigation.ts`) share: throw-away infrastructure (embedded
 * PostgreSQL in a temp dir, an in-memory Temporal dev server, a migrated database with the
 * application role), the real control plane and worker as child processes on loopback, logging
 * in, and percentiles. Everything started is registered with the caller's `Shutdown`, so the
 * end of the run, an error or Ctrl-C stops it all in reverse order.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { appDatabaseUrl, ensureAppLogin, migrate } from '@rc/migrations';
import { createDatabase, startEmbeddedPostgres } from '../src/postgres';
import { hasExited, spawnNode, type NodeProcess, type Shutdown } from '../src/processes';
import { resolveTemporalCli } from '../src/temporal-cli';
import { startTemporalDevServer } from '../src/temporal-server';

export const ROOT = path.resolve(import.meta.dirname, '../..');
/** Loopback only: nothing a benchmark starts listens beyond this machine. */
export const HOST = '127.0.0.1';
const BENCH_DATABASE = 'rc_bench';

export type Log = (line: string) => void;

/** Lines prefixed like the child processes' (`[bench]         …`). */
export const benchLog: Log = (line) => console.log(`${'[bench]'.padEnd(15)} ${line}`);

export interface BenchInfra {
  /** The bench database as its owner (bypasses row-level security): migrating and seeding. */
  ownerUrl: string;
  /** The same database as the application role (RLS applies): what the product connects as. */
  appUrl: string;
  /** host:port of the Temporal dev server (namespace `default`). */
  temporalAddress: string;
}

/**
 * Embedded PostgreSQL (temp dir, removed on stop) and a Temporal dev server (in memory),
 * started in parallel; then the database `rc_bench`, migrated, with the application login.
 */
export async function startInfra(shutdown: Shutdown, log: Log = benchLog): Promise<BenchInfra> {
  const pgDir = await fs.mkdtemp(path.join(os.tmpdir(), 'rc-bench-pg-'));
  log('starting embedded PostgreSQL and a Temporal dev server…');
  const [postgres, temporal] = await Promise.all([
    startEmbeddedPostgres({ dataDir: pgDir, persistent: false }).then((server) => {
      shutdown.add('PostgreSQL', server.stop);
      return server;
    }),
    resolveTemporalCli({ log })
      .then((cliPath) => startTemporalDevServer({ cliPath, headless: true }))
      .then((server) => {
        shutdown.add('Temporal', server.stop);
        return server;
      }),
  ]);
  await createDatabase(postgres.ownerUrl(), BENCH_DATABASE);
  const ownerUrl = postgres.ownerUrl(BENCH_DATABASE);
  await migrate(ownerUrl);
  const appDbPassword = randomBytes(18).toString('base64url');
  await ensureAppLogin(ownerUrl, appDbPassword);
  return { ownerUrl, appUrl: appDatabaseUrl(ownerUrl, appDbPassword), temporalAddress: temporal.address };
}

/** A random password for the seeded users (they live only as long as the run). */
export function benchPassword(): string {
  return `bench-${randomBytes(9).toString('base64url')}`;
}

/**
 * The real control plane (`control-plane/src/main.ts`, OpenTelemetry on as in production) on
 * HOST:port. A crash mid-run stops everything (see exitWithChild).
 */
export function spawnControlPlane(
  shutdown: Shutdown,
  infra: BenchInfra,
  options: { port: number; taskQueue: string; extraEnv?: NodeJS.ProcessEnv; nodeArgs?: string[]; log?: Log },
): NodeProcess {
  const child = spawnNode('control-plane', 'control-plane/src/main.ts', {
    cwd: ROOT,
    nodeArgs: options.nodeArgs,
    env: {
      ...process.env,
      APP_DATABASE_URL: infra.appUrl,
      SESSION_SECRET: randomBytes(32).toString('hex'),
      HOST,
      PORT: String(options.port),
      TEMPORAL_ADDRESS: infra.temporalAddress,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: options.taskQueue,
      LOG_REQUESTS: 'false',
      ...options.extraEnv,
    },
  });
  shutdown.add('control plane', () => child.stop());
  exitWithChild(shutdown, child, options.log);
  return child;
}

/**
 * The real worker (`workers/src/main.ts`, as `npm start` runs it: it bundles the workflows at
 * start, which takes a while; see waitForPollers).
 */
export function spawnWorker(
  shutdown: Shutdown,
  infra: BenchInfra,
  options: { taskQueue: string; extraEnv?: NodeJS.ProcessEnv; log?: Log },
): NodeProcess {
  const child = spawnNode('worker', 'workers/src/main.ts', {
    cwd: ROOT,
    env: {
      ...process.env,
      APP_DATABASE_URL: infra.appUrl,
      TEMPORAL_ADDRESS: infra.temporalAddress,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: options.taskQueue,
      ...options.extraEnv,
    },
  });
  shutdown.add('worker', () => child.stop());
  exitWithChild(shutdown, child, options.log);
  return child;
}

/** A server that dies mid-benchmark invalidates the run: stop everything, loudly. */
export function exitWithChild(shutdown: Shutdown, child: NodeProcess, log: Log = benchLog): void {
  void child.exited.then(({ code, signal }) => {
    if (shutdown.started) return;
    log(`${child.name} exited unexpectedly (${signal ?? `code ${code}`}); stopping everything.`);
    void shutdown.shutdown(1);
  });
}

export async function waitForHealth(baseUrl: string, child: NodeProcess, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (hasExited(child)) throw new Error(`${child.name} exited before answering on ${baseUrl}`);
    try {
      const response = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${child.name} did not answer on ${baseUrl} within ${timeoutMs / 1000} s`);
}

/** Logs in through `auth.login`; returns the `rc_session=…` cookie to send back. */
export async function login(baseUrl: string, email: string, password: string): Promise<string> {
  const response = await fetch(`${baseUrl}/trpc/auth.login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (response.status !== 200)
    throw new Error(`login as ${email} failed: ${response.status} ${await response.text()}`);
  const cookie = response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith('rc_session=') && c.length > 'rc_session='.length);
  if (!cookie) throw new Error(`login as ${email} set no rc_session cookie`);
  return cookie;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** utime + stime of a process in ms, from /proc/<pid>/stat (clock ticks of 10 ms on Linux). */
export function processCpuMs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

/** Busy and total clock ticks of all CPUs, from /proc/stat. */
export function machineCpuTicks(): { busy: number; total: number } {
  try {
    const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = ticks.reduce((a, b) => a + b, 0);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0); // idle + iowait
    return { busy: total - idle, total };
  } catch {
    return { busy: NaN, total: NaN };
  }
}

/** A command-line flag that must be a whole number in min..max. */
export function integerFlag(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`--${name} must be an integer in ${min}..${max}`);
  return n;
}

/** Repeated `--<name> KEY=VALUE` flags as environment variables. */
export function envFlags(name: string, pairs: string[]): NodeJS.ProcessEnv {
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new Error(`--${name} expects KEY=VALUE, got "${pair}"`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}
