/**
 * Finds the Temporal CLI (`temporal`, which runs the local dev server), building it with Go
 * when that is the only way. Order: $TEMPORAL_CLI, `temporal` on PATH, our cache, `go install`.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { isAlive } from './processes';

/** v1.5.1 is the last release that `go install` can build (later ones carry `replace` directives). */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

export interface ResolveTemporalCliOptions {
  log: (line: string) => void;
}

/** Outside the clone, so a fresh clone (CI, a second checkout) reuses the slow build. */
export function temporalCliCacheDir(): string {
  const cacheHome = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cacheHome, 'reliability-center', 'bin');
}

export async function resolveTemporalCli({ log }: ResolveTemporalCliOptions): Promise<string> {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    if (!(await isExecutableFile(fromEnv))) {
      throw new Error(`TEMPORAL_CLI=${fromEnv} is not an executable file.`);
    }
    return path.resolve(fromEnv);
  }

  const onPath = await findOnPath('temporal');
  if (onPath) return onPath;

  const cached = path.join(temporalCliCacheDir(), 'temporal');
  if (await isExecutableFile(cached)) return cached;

  const go = await findOnPath('go');
  if (!go) {
    throw new Error(
      'The Temporal CLI (`temporal`) was not found, and Go is not installed to build it.\n' +
        'Either install Go (https://go.dev/dl/) and run this again (it builds the CLI once, into ' +
        `${temporalCliCacheDir()}), or download the Temporal CLI ` +
        '(https://github.com/temporalio/cli/releases, or `curl -sSf https://temporal.download/cli.sh | sh`) ' +
        'and put it on PATH or set TEMPORAL_CLI=/path/to/temporal.\n' +
        'Alternatively point TEMPORAL_ADDRESS at a running Temporal server.',
    );
  }
  await buildWithGo(go, cached, log);
  return cached;
}

/**
 * `go install` into the cache dir. Another process (say `npm start` while tests start) may be
 * building already: a lock file makes the second one wait for the first one's binary instead
 * of compiling the same thing twice. go install itself moves the finished binary into place
 * with a rename, so a reader never sees half a file.
 */
async function buildWithGo(go: string, target: string, log: (line: string) => void): Promise<void> {
  const dir = path.dirname(target);
  await fs.mkdir(dir, { recursive: true });
  const lock = path.join(dir, '.temporal-build.lock');

  for (;;) {
    const owner = await tryLock(lock);
    if (owner === 'acquired') break;
    if (owner === 'stale') {
      await fs.rm(lock, { force: true });
      continue;
    }
    log(`Another process (pid ${owner}) is building the Temporal CLI; waiting for it…`);
    await waitFor(async () => (await isExecutableFile(target)) || !(await lockHolderAlive(lock)), log);
    if (await isExecutableFile(target)) return;
  }

  try {
    log(
      `Building the Temporal CLI: go install ${TEMPORAL_CLI_MODULE} (first time only; takes a few minutes)…`,
    );
    const started = Date.now();
    const heartbeat = setInterval(
      () => log(`…still building the Temporal CLI (${Math.round((Date.now() - started) / 1000)} s)`),
      15_000,
    );
    try {
      await run(go, ['install', TEMPORAL_CLI_MODULE], {
        // Pure-Go build (its SQLite is pure Go too): no C compiler needed.
        env: { ...process.env, GOBIN: dir, CGO_ENABLED: process.env.CGO_ENABLED ?? '0' },
        log: (line) => log(`  go: ${line}`),
      });
    } finally {
      clearInterval(heartbeat);
    }
    if (!(await isExecutableFile(target))) {
      throw new Error(`go install finished but ${target} is missing.`);
    }
    log(`Temporal CLI built in ${Math.round((Date.now() - started) / 1000)} s: ${target}`);
  } finally {
    await fs.rm(lock, { force: true });
  }
}

/** 'acquired', 'stale' (holder is dead), or the live holder's pid. */
async function tryLock(lock: string): Promise<'acquired' | 'stale' | number> {
  try {
    await fs.writeFile(lock, String(process.pid), { flag: 'wx' });
    return 'acquired';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const pid = Number((await fs.readFile(lock, 'utf8').catch(() => '')).trim());
    return pid && isAlive(pid) ? pid : 'stale';
  }
}

async function lockHolderAlive(lock: string): Promise<boolean> {
  const pid = Number((await fs.readFile(lock, 'utf8').catch(() => '')).trim());
  return Boolean(pid) && isAlive(pid);
}

async function waitFor(done: () => Promise<boolean>, log: (line: string) => void): Promise<void> {
  const started = Date.now();
  let lastBeat = started;
  while (!(await done())) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    if (Date.now() - lastBeat >= 15_000) {
      lastBeat = Date.now();
      log(`…still waiting for the Temporal CLI build (${Math.round((lastBeat - started) / 1000)} s)`);
    }
  }
}

function run(
  command: string,
  args: string[],
  { env, log }: { env: NodeJS.ProcessEnv; log: (line: string) => void },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', log);
    }
    child.on('error', reject);
    child.on('close', (code, signal) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`})`)),
    );
  });
}

async function findOnPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    await fs.access(file, constants.X_OK);
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}
