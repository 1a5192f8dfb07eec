import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import getPort from 'get-port';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  temporalAddress,
  uniqueTaskQueue,
  type TestDatabase,
} from '@rc/ops/test/harness';
import { seedTenant, usersForEveryRole } from '@rc/ops/seed';
import { ApiClient } from '../testing/api-client';
import { waitFor } from '../testing/wait-for';
import { startTraceCollector, type CollectedSpan } from './trace-collector';

/**
 * The production processes (control plane and worker, each with its NodeSDK) exporting to a
 * local OTLP receiver: one trace must cover HTTP → tRPC → SQL → Temporal workflow → activity → SQL.
 */
const ROOT = path.resolve(import.meta.dirname, '../../..');
let db: TestDatabase;
let collector: Awaited<ReturnType<typeof startTraceCollector>>;
const children: ChildProcess[] = [];
let baseUrl: string;

function spawnNode(entry: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(`[${path.basename(entry)}] ${d.toString()}`));
  children.push(child);
  return child;
}

beforeAll(async () => {
  db = await createTestDatabase();
  const owner = new pg.Client({ connectionString: db.ownerUrl });
  await owner.connect();
  await seedTenant(owner, {
    slug: 'acme',
    name: 'Acme',
    users: usersForEveryRole('acme', 'trace-test-password'),
    modules: [{ name: 'billing', ownerTeam: 'payments', criticality: 'critical' }],
  });
  await owner.end();
  collector = await startTraceCollector();
  const port = await getPort();
  const env = {
    APP_DATABASE_URL: db.appUrl,
    SESSION_SECRET: randomBytes(32).toString('hex'),
    PORT: String(port),
    TEMPORAL_ADDRESS: temporalAddress(),
    TEMPORAL_TASK_QUEUE: uniqueTaskQueue('trace'),
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
    OTEL_BSP_SCHEDULE_DELAY: '100',
  };
  spawnNode('control-plane/src/main.ts', { ...env, OTEL_SERVICE_NAME: 'rc-control-plane' });
  spawnNode('workers/src/main.ts', { ...env, OTEL_SERVICE_NAME: 'rc-worker' });
  baseUrl = `http://127.0.0.1:${port}`;
  await waitFor(
    'the control plane',
    async () => ((await fetch(`${baseUrl}/healthz`)).ok ? true : undefined),
    60_000,
  );
}, 120_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(
    children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))),
  );
  await collector?.close();
  await db?.drop();
});

describe('one trace from the request to the SQL of the activity', () => {
  it('the x-trace-id of a request names a trace holding its HTTP, tRPC, SQL, workflow and activity spans', async () => {
    const operator = new ApiClient(baseUrl, 'acme');
    await operator.login('operator@acme.example', 'trace-test-password');
    const response = await operator.call<{ moduleCount: number }>('diagnostics.run', { echo: 'traced' });
    expect(response.status).toBe(200);
    expect(response.data.moduleCount).toBe(1);
    const traceId = response.headers.get('x-trace-id')!;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);

    const has = (spans: CollectedSpan[], service: string, pattern: RegExp) =>
      spans.some((s) => s.service === service && pattern.test(s.name));
    const expected: Array<[string, RegExp]> = [
      ['rc-control-plane', /^POST/], // HTTP server span (http instrumentation)
      ['rc-control-plane', /^trpc diagnostics\.run$/],
      ['rc-control-plane', /^StartWorkflow:diagnosticsWorkflow$/],
      ['rc-control-plane', /^pg\./], // SQL of the audit write
      ['rc-worker', /^RunWorkflow:diagnosticsWorkflow$/],
      ['rc-worker', /^RunActivity:countModules$/],
      ['rc-worker', /^pg\./], // SQL of the activity
    ];
    const trace = await waitFor('all spans of the trace', () => {
      const spans = collector.spans.filter((s) => s.traceId === traceId);
      return expected.every(([service, pattern]) => has(spans, service, pattern)) ? spans : undefined;
    }).catch(() => {
      const spans = collector.spans.filter((s) => s.traceId === traceId);
      throw new Error(
        `trace ${traceId} is missing spans; it has: ${spans.map((s) => `${s.service}:${s.name}`).join(', ')}`,
      );
    });
    expect(trace.length).toBeGreaterThanOrEqual(expected.length);
  });
});
