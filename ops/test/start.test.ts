/**
 * `npm start` end to end, as the runbook uses it: the script (`node --import tsx ops/src/start.ts`,
 * not through npm: installing is out of scope) brings up its own embedded PostgreSQL, Temporal
 * dev server, control plane and worker on a data directory of its own (RC_DATA_DIR, a temp dir:
 * never the developer's `.data/`) and free ports (never a running instance's or the shared test
 * infrastructure's); an operator signs in with the printed demo login; Ctrl-C stops everything;
 * a second start on the same data finds the demo as it was.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import getPort from 'get-port';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '@rc/control-plane/testing/api-client';
import { waitFor } from '@rc/control-plane/testing/wait-for';
import { isAlive } from '../src/processes';
import { queryOne } from './harness';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** A start builds the console if its sources changed and bundles the workflows: slow, but bounded. */
const START_TIMEOUT_MS = 240_000;
const STOP_TIMEOUT_MS = 60_000;
const DEMO_MODULES = ['billing', 'notifications', 'ocr', 'portal', 'storage'];

interface Login {
  tenant: string;
  role: string;
  email: string;
  password: string;
}

/** One `npm start`: its process, everything it printed, and what it announced. */
interface Started {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: string[];
  url: string;
  temporalAddress: string;
  temporalUi: string;
  postgresLine: string;
  logins: Login[];
}

let dataDir: string;
const runs: Started[] = [];
/** Every process a start ran (pids collected while it was up): none may outlive it. */
const seenPids = new Set<number>();

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'rc-start-test-'));
  // As root, PostgreSQL runs as the OS user `postgres`, which must be able to enter it.
  await fs.chmod(dataDir, 0o755);
});

afterAll(async () => {
  // Whatever happened above: no process and no data left behind.
  for (const run of runs) await stop(run).catch(() => undefined);
  for (const pid of seenPids) if (running(pid)) process.kill(pid, 'SIGKILL');
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
}, STOP_TIMEOUT_MS + 30_000);

describe('npm start', () => {
  let firstModuleIds: string[] = [];
  let firstPassword = '';
  let firstWorkflowId = '';

  it(
    'brings up PostgreSQL, Temporal, the control plane and the worker, prints the URLs and demo logins, and stops everything on Ctrl-C',
    async () => {
      const run = await start();
      expect(run.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(run.temporalUi).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      // "Running" is announced once the worker polls, so a mitigation started now runs at once.
      const polling = run.output.findIndex((line) => /worker polling task queue/.test(line));
      const running = run.output.findIndex((line) => /Reliability Center is running/.test(line));
      expect(polling, 'the worker polls before "running" is announced').toBeGreaterThanOrEqual(0);
      expect(polling).toBeLessThan(running);
      // The data lives where RC_DATA_DIR says, not in the clone's .data/.
      expect(run.postgresLine).toContain(path.join(dataDir, 'postgres'));
      const operator = run.logins.find((l) => l.email === 'operator@acme.example');
      expect(operator).toMatchObject({ tenant: 'acme', role: 'operator' });
      expect(operator!.password.length).toBeGreaterThanOrEqual(12);
      for (const email of ['tenant-admin@acme.example', 'auditor@acme.example', 'viewer@globex.example']) {
        expect(run.logins.map((l) => l.email)).toContain(email);
      }

      // The Temporal UI answers on its own port.
      const ui = await fetch(run.temporalUi);
      expect(ui.status).toBe(200);

      // The printed login works over real HTTP, and acme's demo modules are there.
      const client = new ApiClient(run.url, 'acme');
      await client.login(operator!.email, operator!.password);
      const modules = await client.call<Array<{ id: string; name: string }>>('modules.list');
      expect(modules.status).toBe(200);
      expect(modules.data.map((m) => m.name).sort()).toEqual(DEMO_MODULES);
      firstModuleIds = modules.data.map((m) => m.id).sort();
      firstPassword = operator!.password;

      // A workflow runs on the worker and reads the tenant's modules: the worker is up.
      const diagnostics = await client.call<{ workflowId: string; moduleCount: number; echo: string }>(
        'diagnostics.run',
        {
          echo: 'start test',
        },
      );
      expect(diagnostics.error).toBeNull();
      expect(diagnostics.data).toMatchObject({ echo: 'start test', moduleCount: DEMO_MODULES.length });
      firstWorkflowId = diagnostics.data.workflowId;

      const pids = processesOf(run);
      await stopAndExpectClean(run, pids);
    },
    START_TIMEOUT_MS + STOP_TIMEOUT_MS + 60_000,
  );

  it(
    'starts again on the same data: the demo is not seeded twice and the same password signs in',
    async () => {
      expect(firstModuleIds).toHaveLength(DEMO_MODULES.length); // the first start ran
      const run = await start();
      const operator = run.logins.find((l) => l.email === 'operator@acme.example');
      expect(operator?.password).toBe(firstPassword);

      const client = new ApiClient(run.url, 'acme');
      await client.login('operator@acme.example', firstPassword);
      const modules = await client.call<Array<{ id: string }>>('modules.list');
      expect(modules.status).toBe(200);
      expect(modules.data.map((m) => m.id).sort()).toEqual(firstModuleIds);

      // Counted as the owner (no row-level security): one of each demo row, not two.
      const runtime = JSON.parse(readFileSync(path.join(dataDir, 'runtime.json'), 'utf8')) as {
        ownerUrl: string;
      };
      const counts = await queryOne<{ tenants: string; users: string; modules: string; features: string }>(
        runtime.ownerUrl,
        `select (select count(*) from tenants) as tenants, (select count(*) from users) as users,
                (select count(*) from modules) as modules, (select count(*) from features) as features`,
      );
      expect(counts).toEqual({ tenants: '2', users: '10', modules: '9', features: '22' });

      // Temporal kept its history too (the SQLite file in the data directory).
      const connection = await Connection.connect({ address: run.temporalAddress });
      try {
        const temporal = new Client({ connection });
        const described = await temporal.workflow.getHandle(firstWorkflowId).describe();
        expect(described.status.name).toBe('COMPLETED');
      } finally {
        await connection.close();
      }

      const pids = processesOf(run);
      await stopAndExpectClean(run, pids);
      // runtime.json describes running servers: it goes with them.
      await expect(fs.access(path.join(dataDir, 'runtime.json'))).rejects.toThrow();
    },
    START_TIMEOUT_MS + STOP_TIMEOUT_MS + 60_000,
  );
});

/** Runs the start script on the test's data directory and free ports; resolves once it says it is running. */
async function start(): Promise<Started> {
  const host = '127.0.0.1';
  const pgPort = await getPort({ host });
  const temporalPort = await getPort({ host, exclude: [pgPort] });
  const temporalUiPort = await getPort({ host, exclude: [pgPort, temporalPort] });
  const port = await getPort({ host, exclude: [pgPort, temporalPort, temporalUiPort] });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RC_DATA_DIR: dataDir,
    PGPORT: String(pgPort),
    TEMPORAL_PORT: String(temporalPort),
    TEMPORAL_UI_PORT: String(temporalUiPort),
    HOST: host,
    PORT: String(port),
  };
  // Everything external must be started by the script itself.
  for (const name of [
    'DATABASE_URL',
    'APP_DATABASE_URL',
    'SESSION_SECRET',
    'TEMPORAL_ADDRESS',
    'TEMPORAL_NAMESPACE',
    'TEMPORAL_TASK_QUEUE',
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    'NODE_ENV',
  ]) {
    delete env[name];
  }

  const child = spawn(process.execPath, ['--import', 'tsx', 'ops/src/start.ts'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const output: string[] = [];
  let ready = false;
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      output.push(line);
      if (line.includes('Ctrl-C stops everything.')) ready = true;
    });
  }
  const partial: Started = {
    child,
    exited,
    output,
    url: '',
    temporalAddress: '',
    temporalUi: '',
    postgresLine: '',
    logins: [],
  };
  runs.push(partial);

  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void exited.then((e) => (exit = e));
  try {
    await waitFor(
      'npm start to announce that it is running',
      () => {
        if (exit) throw new Error(`start exited (${exit.signal ?? `code ${exit.code}`})`);
        return ready ? true : undefined;
      },
      START_TIMEOUT_MS,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- output ---\n${output.join('\n')}`, { cause: error });
  }

  const text = output.join('\n');
  const match = (re: RegExp) => {
    const found = re.exec(text);
    if (!found) throw new Error(`no ${re} in the output:\n${text}`);
    return found[1]!;
  };
  partial.url = match(/^\s*Console and API\s+(\S+)/m);
  partial.temporalAddress = match(/^\s*Temporal\s+(\S+)/m);
  partial.temporalUi = match(/^\s*Temporal\s+\S+\s+\(UI (\S+)\)/m);
  partial.postgresLine = match(/^\s*(PostgreSQL\s+.*)$/m);
  partial.logins = [...text.matchAll(/^\s+(acme|globex)\s+(\S+)\s+(\S+@\S+)\s+(\S+)\s*$/gm)].map((m) => ({
    tenant: m[1]!,
    role: m[2]!,
    email: m[3]!,
    password: m[4]!,
  }));
  return partial;
}

/**
 * The processes the start runs, found in the process table (its descendants) and in
 * PostgreSQL's pid file; each kind must be there, or the "nothing left" check proves nothing.
 */
function processesOf(run: Started): Map<number, string> {
  const table = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((m) => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3]! }));
  const found = new Map<number, string>();
  const walk = (parent: number) => {
    for (const p of table.filter((row) => row.ppid === parent)) {
      if (p.args.startsWith('ps ')) continue;
      found.set(p.pid, p.args);
      walk(p.pid);
    }
  };
  walk(run.child.pid!);
  const postmaster = Number(
    readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0],
  );
  expect(found.get(postmaster), `postmaster ${postmaster} among ${JSON.stringify([...found])}`).toMatch(
    /postgres/,
  );
  const args = [...found.values()];
  expect(args.some((a) => /temporal.* server start-dev/.test(a))).toBe(true);
  expect(args.some((a) => a.includes('workers/src/main.ts'))).toBe(true);
  expect(args.some((a) => a.includes('control-plane/src/main.ts'))).toBe(true);
  for (const pid of found.keys()) seenPids.add(pid);
  return found;
}

/** Ctrl-C (SIGINT to the start process only); it exits 0 in time and takes every child with it. */
async function stopAndExpectClean(run: Started, pids: Map<number, string>): Promise<void> {
  const exit = await stop(run);
  expect(exit, run.output.slice(-30).join('\n')).toEqual({ code: 0, signal: null });
  // Each one stopped by the script, in order (apps before Temporal before PostgreSQL), none failed.
  const stopped = run.output.filter((line) => /^\[start\]\s+(stopped|stopping)/.test(line));
  expect(stopped.map((line) => line.replace(/^\[start\]\s+/, ''))).toEqual([
    'stopped control plane',
    'stopped worker',
    'stopped runtime file',
    'stopped Temporal',
    'stopped PostgreSQL',
  ]);
  // The start awaited each stop; a moment for the kernel to finish tearing them down.
  const left = await waitFor(
    'every child of npm start to be gone',
    () => {
      const alive = [...pids].filter(([pid]) => running(pid));
      return alive.length === 0 ? alive : undefined;
    },
    5_000,
  ).catch(() => [...pids].filter(([pid]) => running(pid)));
  expect(left).toEqual([]);
}

async function stop(run: Started): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGINT');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      run.child.kill('SIGKILL');
      reject(new Error(`npm start did not exit within ${STOP_TIMEOUT_MS / 1000} s of SIGINT`));
    }, STOP_TIMEOUT_MS);
  });
  try {
    return await Promise.race([run.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Alive and not a zombie (an exited child nobody reaped yet runs nothing). */
function running(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
