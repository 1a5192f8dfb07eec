/**
 * `npm run bench:api`: what the full request path costs compared with the bare query.
 *
 * Brings up throw-away infrastructure (embedded PostgreSQL in a temp dir, an in-memory Temporal
 * dev server), migrates, seeds tenant `acme` (one user per role, 20 active modules + 2 archived),
 * then starts two child processes on loopback and loads three targets:
 *   bare  ops/bench/bare-server.ts: fastify + `pg` pool as the owner, the same SQL, nothing else;
 *   trpc  the same server and SQL behind the tRPC fastify adapter: the transport the stack
 *         prescribes, before any of our code (so the ceiling any tRPC procedure can reach here);
 *   ours  the real control plane (`node --import tsx control-plane/src/main.ts`, OpenTelemetry
 *         on as in production), called as `GET /trpc/modules.list` with a session cookie and
 *         `x-tenant: acme` (auth → tenant → CASL → RLS read-only transaction).
 * Both pools hold 10 connections. autocannon (in this process) loads each with 50 connections
 * for a fixed time after a short warm-up, and a table compares them against the targets.
 *
 * Flags: --duration <s> (10) --warmup <s> (2) --connections <n> (50) --rounds <n> (1; the three
 * targets take turns each round) --cp-env KEY=VALUE (extra env for the control plane only, repeatable,
 * e.g. OTEL_SDK_DISABLED=true to measure without tracing) --cpu-prof-dir <dir> (a V8 CPU profile of
 * the control plane, written there when it stops).
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { parseArgs } from 'node:util';
import getPort from 'get-port';
import pg from 'pg';
import { Shutdown, spawnNode } from '../src/processes';
import {
  benchLog as log,
  benchPassword,
  envFlags,
  exitWithChild,
  HOST,
  integerFlag,
  login,
  machineCpuTicks,
  percentile,
  processCpuMs,
  ROOT,
  spawnControlPlane,
  startInfra,
  waitForHealth,
} from './infra';

const TENANT = 'acme';
const LOGIN_EMAIL = `operator@${TENANT}.example`;
const POOL_SIZE = 10;
const TARGET_THROUGHPUT_RATIO = 0.6;
const TARGET_P99_MS = 25;
const MODULE_NAMES = [
  'billing', 'ocr', 'storage', 'notifications', 'checkout', 'search', 'reporting', 'identity',
  'invoicing', 'ledger', 'pricing', 'catalog', 'shipping', 'inventory', 'webhooks', 'exports',
  'imports', 'scheduler', 'mailer', 'analytics', 'legacy-fax', 'legacy-ftp',
]; // prettier-ignore
const ARCHIVED = ['legacy-fax', 'legacy-ftp'];
const ACTIVE_MODULES = MODULE_NAMES.length - ARCHIVED.length;

// ---------------------------------------------------------------------------------------------
// autocannon ships no types; this is the part of its programmatic API we use.

interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  headers?: Record<string, string>;
  /** Per-request timeout, seconds. */
  timeout?: number;
}
interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
}
interface AutocannonInstance {
  on(
    event: 'response',
    listener: (client: unknown, statusCode: number, bytes: number, responseTimeMs: number) => void,
  ): void;
  stop(): void;
}
type Autocannon = (
  options: AutocannonOptions,
  callback: (error: Error | null, result: AutocannonResult) => void,
) => AutocannonInstance;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

// ---------------------------------------------------------------------------------------------

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '1' },
    'cp-env': { type: 'string', multiple: true, default: [] },
    'cpu-prof-dir': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log(
    'npm run bench:api -- [--duration 10] [--warmup 2] [--connections 50] [--rounds 1] [--cp-env KEY=VALUE]... [--cpu-prof-dir DIR]',
  );
  process.exit(0);
}
const DURATION_S = Math.max(1, integerFlag('duration', flags.duration, 0, 600));
const WARMUP_S = integerFlag('warmup', flags.warmup, 0, 60);
const CONNECTIONS = Math.max(1, integerFlag('connections', flags.connections, 0, 1000));
const ROUNDS = Math.max(1, integerFlag('rounds', flags.rounds, 0, 20));
const CONTROL_PLANE_EXTRA_ENV = envFlags('cp-env', flags['cp-env']);

const shutdown = new Shutdown(log);
shutdown.handleSignals();
let currentLoad: AutocannonInstance | null = null;

try {
  await main();
  await shutdown.shutdown(0);
} catch (error) {
  console.error(`\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  await shutdown.shutdown(1);
}

async function main(): Promise<void> {
  log(
    `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), node ${process.version}; ` +
      `${CONNECTIONS} connections, ${WARMUP_S} s warm-up + ${DURATION_S} s measured per target, ${ROUNDS} round(s)`,
  );

  // (1) throw-away PostgreSQL and Temporal; schema, app role, seed
  const infra = await startInfra(shutdown);
  const password = benchPassword();
  const tenantId = await seed(infra.ownerUrl, password);
  log(
    `seeded tenant ${TENANT} (${tenantId}): ${ACTIVE_MODULES} active + ${ARCHIVED.length} archived modules`,
  );

  // (2) the two servers
  const [ourPort, barePort] = [await getPort({ host: HOST }), await getPort({ host: HOST })];
  const controlPlane = spawnControlPlane(shutdown, infra, {
    port: ourPort,
    taskQueue: 'bench-api',
    extraEnv: CONTROL_PLANE_EXTRA_ENV,
    // A V8 CPU profile of the control plane, written when it stops (open it in Chrome DevTools).
    nodeArgs: flags['cpu-prof-dir'] ? ['--cpu-prof', `--cpu-prof-dir=${flags['cpu-prof-dir']}`] : [],
  });
  const bare = spawnNode('bare-server', 'ops/bench/bare-server.ts', {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: infra.ownerUrl,
      PORT: String(barePort),
      POOL_MAX: String(POOL_SIZE),
    },
  });
  shutdown.add('bare server', () => bare.stop());
  exitWithChild(shutdown, bare);
  shutdown.add('load generator', async () => currentLoad?.stop());

  const ourBase = `http://${HOST}:${ourPort}`;
  const bareBase = `http://${HOST}:${barePort}`;
  await Promise.all([waitForHealth(ourBase, controlPlane), waitForHealth(bareBase, bare)]);

  // (3) log in once; check both answer the same thing before loading them
  const cookie = await login(ourBase, LOGIN_EMAIL, password);
  const listInput = encodeURIComponent(JSON.stringify({ includeArchived: false }));
  const ours: Target = {
    name: 'ours',
    label: `tRPC modules.list (auth+CASL+RLS+${CONTROL_PLANE_EXTRA_ENV.OTEL_SDK_DISABLED === 'true' ? 'no OTel' : 'OTel'})`,
    url: `${ourBase}/trpc/modules.list?input=${listInput}`,
    headers: { cookie, 'x-tenant': TENANT },
    pid: controlPlane.child.pid,
  };
  const baseline: Target = {
    name: 'bare',
    label: 'fastify + pg, same SQL',
    url: `${bareBase}/modules?tenant=${tenantId}`,
    headers: {},
    pid: bare.child.pid,
  };
  const transport: Target = {
    name: 'trpc',
    label: 'bare + tRPC fastify adapter (no auth/RLS/OTel)',
    url: `${bareBase}/trpc/modules.list?input=${listInput}`,
    headers: { 'x-bench-tenant': tenantId },
    pid: bare.child.pid,
  };
  await checkSameAnswer(ours, baseline, transport);

  // (4) load: bare, trpc, ours, in turn each round
  const samples: Record<TargetName, Sample[]> = { ours: [], trpc: [], bare: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    for (const target of [baseline, transport, ours]) {
      const tag = ROUNDS > 1 ? ` (round ${round}/${ROUNDS})` : '';
      if (WARMUP_S > 0) {
        log(`warm-up ${target.name}${tag}: ${WARMUP_S} s…`);
        const warm = await load(target, WARMUP_S);
        if (warm.non200 || warm.errors) log(`  warm-up saw ${warm.non200} non-200 and ${warm.errors} errors`);
      }
      log(`measuring ${target.name}${tag}: ${DURATION_S} s…`);
      const sample = await load(target, DURATION_S);
      samples[target.name].push(sample);
      const s = summarise(sample);
      log(
        `  ${s.reqPerSec.toFixed(0)} req/s, server ${s.cpuMsPerRequest.toFixed(2)} ms CPU/request, ` +
          `machine ${s.machineBusyPct.toFixed(0)}% busy`,
      );
      await drain(target);
    }
  }

  report([
    [baseline, summarise(...samples.bare)],
    [transport, summarise(...samples.trpc)],
    [ours, summarise(...samples.ours)],
  ]);
}

// ---------------------------------------------------------------------------------------------

type TargetName = 'bare' | 'trpc' | 'ours';

interface Target {
  name: TargetName;
  label: string;
  url: string;
  headers: Record<string, string>;
  /** The server process, for its CPU time. */
  pid: number | undefined;
}

interface Sample {
  durationS: number;
  latenciesMs: number[];
  statuses: Map<number, number>;
  non200: number;
  /** Socket errors and timeouts (no response at all). */
  errors: number;
  aborted: boolean;
  /** CPU time the server process used during the run (Linux /proc; NaN elsewhere). */
  serverCpuMs: number;
  /** Share of all CPUs busy during the run, whoever used them. */
  machineBusyPct: number;
}

/** One bounded autocannon run: stops at its duration, or is stopped 15 s later at the latest. */
function load(target: Target, seconds: number): Promise<Sample> {
  // Once Ctrl-C started the shutdown, no new run and no report: wait for the exit.
  if (shutdown.started) return new Promise<never>(() => {});
  return new Promise<Sample>((resolve, reject) => {
    const latenciesMs: number[] = [];
    const statuses = new Map<number, number>();
    let aborted = false;
    const cpuBefore = processCpuMs(target.pid);
    const machineBefore = machineCpuTicks();
    const instance = autocannon(
      { url: target.url, connections: CONNECTIONS, duration: seconds, headers: target.headers, timeout: 10 },
      (error, result) => {
        clearTimeout(guard);
        currentLoad = null;
        if (shutdown.started) return; // stopped by Ctrl-C: the figures are partial, leave them
        if (error) return reject(error);
        let non200 = 0;
        for (const [status, count] of statuses) if (status !== 200) non200 += count;
        const machineAfter = machineCpuTicks();
        const totalTicks = machineAfter.total - machineBefore.total;
        resolve({
          durationS: result.duration,
          latenciesMs,
          statuses,
          non200,
          errors: result.errors + result.timeouts,
          aborted,
          serverCpuMs: processCpuMs(target.pid) - cpuBefore,
          machineBusyPct:
            totalTicks > 0 ? (100 * (machineAfter.busy - machineBefore.busy)) / totalTicks : NaN,
        });
      },
    );
    currentLoad = instance;
    instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
      latenciesMs.push(responseTimeMs);
      statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
    });
    const guard = setTimeout(
      () => {
        aborted = true;
        instance.stop();
      },
      (seconds + 15) * 1000,
    );
  });
}

interface Summary {
  responses: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  max: number;
  non200: number;
  errors: number;
  statuses: string;
  aborted: boolean;
  cpuMsPerRequest: number;
  machineBusyPct: number;
}

function summarise(...samples: Sample[]): Summary {
  const latencies = samples.flatMap((s) => s.latenciesMs).sort((a, b) => a - b);
  const seconds = samples.reduce((sum, s) => sum + s.durationS, 0);
  const statuses = new Map<number, number>();
  for (const s of samples)
    for (const [code, n] of s.statuses) statuses.set(code, (statuses.get(code) ?? 0) + n);
  return {
    responses: latencies.length,
    reqPerSec: seconds > 0 ? latencies.length / seconds : 0,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? NaN,
    non200: samples.reduce((sum, s) => sum + s.non200, 0),
    errors: samples.reduce((sum, s) => sum + s.errors, 0),
    statuses: [...statuses].map(([code, n]) => `${code}×${n}`).join(' '),
    aborted: samples.some((s) => s.aborted),
    cpuMsPerRequest: samples.reduce((sum, s) => sum + s.serverCpuMs, 0) / Math.max(1, latencies.length),
    machineBusyPct: samples.reduce((sum, s) => sum + s.machineBusyPct, 0) / Math.max(1, samples.length),
  };
}

/**
 * After a run the server may still hold queued requests (autocannon closes its sockets at once).
 * One more request waits behind them, so the next run starts from an idle server.
 */
async function drain(target: Target): Promise<void> {
  await fetch(target.url, { headers: target.headers, signal: AbortSignal.timeout(30_000) })
    .then((response) => response.arrayBuffer())
    .catch(() => undefined);
}

function report(results: Array<[Target, Summary]>): void {
  const summaryOf = (name: TargetName) => results.find(([t]) => t.name === name)![1];
  const [bare, transport, ours] = [summaryOf('bare'), summaryOf('trpc'), summaryOf('ours')];
  const rows = [
    ['target', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'responses', 'non-200', 'errors', 'CPU ms/req', 'what'],
    ...results.map(([t, s]) => [
      t.name,
      s.reqPerSec.toFixed(0),
      s.p50.toFixed(2),
      s.p99.toFixed(2),
      s.max.toFixed(1),
      String(s.responses),
      String(s.non200),
      String(s.errors),
      s.cpuMsPerRequest.toFixed(2),
      t.label,
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (row: string[]) =>
    row.map((cell, i) =>
      i === 0 || i === row.length - 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!),
    );
  const ratioOf = (a: Summary, b: Summary) => (b.reqPerSec > 0 ? a.reqPerSec / b.reqPerSec : 0);
  const ratio = ratioOf(ours, bare);
  const verdict = (ok: boolean) => (ok ? 'MET' : 'MISSED');
  const out = [
    '',
    `API benchmark — ${CONNECTIONS} connections, ${DURATION_S} s × ${ROUNDS} round(s) per target, ` +
      `pool ${POOL_SIZE}, ${os.cpus().length} CPUs, node ${process.version}`,
    '',
    ...rows.map((row) => `  ${line(row).join('  ')}`),
    '',
    `  throughput ours/bare: ${ratio.toFixed(2)}×   target ≥ ${TARGET_THROUGHPUT_RATIO}×   ${verdict(ratio >= TARGET_THROUGHPUT_RATIO)}`,
    `  p99 ours:             ${ours.p99.toFixed(2)} ms   target ≤ ${TARGET_P99_MS} ms   ${verdict(ours.p99 <= TARGET_P99_MS)}`,
    `  throughput trpc/bare: ${ratioOf(transport, bare).toFixed(2)}×   the ceiling of any tRPC procedure in this run`,
    `  throughput ours/trpc: ${ratioOf(ours, transport).toFixed(2)}×   what auth, tenant, CASL, RLS and tracing keep of it`,
    `  status codes: ${results.map(([t, s]) => `${t.name} ${s.statuses || '-'}`).join('; ')}`,
    `  CPU ms/req: CPU time of the server process alone (not PostgreSQL, not the load generator); ` +
      `machine busy: ${results.map(([t, s]) => `${t.name} ${s.machineBusyPct.toFixed(0)}%`).join(', ')}; ` +
      `load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    `  with ${CONNECTIONS} connections always busy, mean latency ≈ ${CONNECTIONS} / req/s (Little's law): ` +
      `a p99 ≤ ${TARGET_P99_MS} ms needs well over ${Math.round((CONNECTIONS * 1000) / TARGET_P99_MS)} req/s`,
    '',
  ];
  console.log(out.join('\n'));
  for (const [{ name }, s] of results) {
    if (s.non200 > 0 || s.errors > 0 || s.aborted) {
      const banner = '!'.repeat(90);
      console.log(
        `${banner}\n!! ${name}: ${s.non200} responses were not 200 and ${s.errors} requests got no response` +
          `${s.aborted ? ', and the run had to be stopped by the guard' : ''}.\n` +
          `!! The figures above for ${name} are NOT a valid measurement.\n${banner}\n`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------

async function seed(ownerUrl: string, password: string): Promise<string> {
  // Loaded here: it pulls in the control plane's password hashing.
  const { seedTenant, usersForEveryRole } = await import('../src/seed');
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query('begin');
    const { tenantId } = await seedTenant(client, {
      slug: TENANT,
      name: 'Acme Corp',
      users: usersForEveryRole(TENANT, password),
      modules: MODULE_NAMES.map((name, i) => ({
        name,
        ownerTeam: ['payments', 'platform', 'documents', 'engagement'][i % 4]!,
        criticality: i % 3 === 0 ? 'critical' : 'non_critical',
        description: `The ${name} module of the benchmark tenant`,
      })),
    });
    await client.query(`update modules set status = 'archived' where tenant_id = $1 and name = any($2)`, [
      tenantId,
      ARCHIVED,
    ]);
    await client.query('commit');
    await client.query('analyze');
    return tenantId;
  } finally {
    await client.end();
  }
}

/** All endpoints must return the same active modules, in the same order, before any load. */
async function checkSameAnswer(ours: Target, bare: Target, transport: Target): Promise<void> {
  const get = async (target: Target) => {
    const response = await fetch(target.url, { headers: target.headers });
    const body = (await response.json()) as unknown;
    if (response.status !== 200)
      throw new Error(`${target.name}: ${response.status} ${JSON.stringify(body)}`);
    return body;
  };
  const namesOf = (modules: Array<{ name: string }>) => modules.map((m) => m.name).join(',');
  const trpcNames = async (target: Target) =>
    namesOf(((await get(target)) as { result?: { data?: Array<{ name: string }> } }).result?.data ?? []);
  const ourNames = await trpcNames(ours);
  const transportNames = await trpcNames(transport);
  const bareBody = (await get(bare)) as Array<{ name: string }>;
  const bareNames = namesOf(bareBody);
  if (ourNames !== bareNames || transportNames !== bareNames || bareBody.length !== ACTIVE_MODULES) {
    throw new Error(
      `the endpoints disagree:\n  ours: ${ourNames}\n  trpc: ${transportNames}\n  bare: ${bareNames}`,
    );
  }
  log(`all three endpoints return the same ${ACTIVE_MODULES} active modules`);
}
