import { randomUUID } from 'node:crypto';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  DIAGNOSTICS_WORKFLOW,
  diagnosticsWorkflowId,
  type DiagnosticsWorkflowInput,
  type DiagnosticsWorkflowResult,
} from '@rc/contracts';
import {
  createTestDatabase,
  temporalAddress,
  uniqueTaskQueue,
  workflowBundlePath,
  type TestDatabase,
} from '@rc/ops/test/harness';
import { Client, Connection } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
// The tracer provider registered for every test file by vitest's setupFiles (not in @rc/ops's exports map).
import { finishedSpans, testTracer } from '@rc/ops/test/setup-tracing';
import { startWorker, type RunningWorker } from '../worker';

type DiagnosticsWorkflow = (input: DiagnosticsWorkflowInput) => Promise<DiagnosticsWorkflowResult>;

/** Arranges rows as the database owner (bypasses RLS): tenant A has two active modules and one archived. */
async function seedTenants(ownerUrl: string): Promise<{ tenantA: string; tenantB: string }> {
  const tenantA = randomUUID();
  const tenantB = randomUUID();
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query('insert into tenants (id, slug, name) values ($1, $2, $3), ($4, $5, $6)', [
      tenantA,
      'diag-a',
      'Diagnostics A',
      tenantB,
      'diag-b',
      'Diagnostics B',
    ]);
    const insertModule = `insert into modules (id, tenant_id, name, owner_team, criticality, status)
                          values ($1, $2, $3, $4, $5, $6)`;
    await client.query(insertModule, [randomUUID(), tenantA, 'billing', 'payments', 'critical', 'active']);
    await client.query(insertModule, [
      randomUUID(),
      tenantA,
      'search',
      'discovery',
      'non_critical',
      'active',
    ]);
    await client.query(insertModule, [
      randomUUID(),
      tenantA,
      'legacy-export',
      'data',
      'non_critical',
      'archived',
    ]);
  } finally {
    await client.end();
  }
  return { tenantA, tenantB };
}

describe('diagnosticsWorkflow', () => {
  let db: TestDatabase;
  let tenants: { tenantA: string; tenantB: string };
  let worker: RunningWorker | undefined;
  let connection: Connection | undefined;
  let client: Client;
  const taskQueue = uniqueTaskQueue('diagnostics');
  const workflowSpans = new InMemorySpanExporter();

  beforeAll(async () => {
    db = await createTestDatabase();
    tenants = await seedTenants(db.ownerUrl);
    worker = await startWorker({
      temporalAddress: temporalAddress(),
      namespace: 'default',
      taskQueue,
      appDatabaseUrl: db.appUrl,
      workflowBundlePath: workflowBundlePath(),
      workflowSpanProcessor: new SimpleSpanProcessor(workflowSpans),
    });
    connection = await Connection.connect({ address: temporalAddress() });
    client = new Client({
      connection,
      namespace: 'default',
      interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
    });
  });

  afterAll(async () => {
    await worker?.shutdown();
    await connection?.close();
    await db?.drop();
  });

  function runDiagnostics(tenantId: string, echo: string): Promise<DiagnosticsWorkflowResult> {
    return client.workflow.execute<DiagnosticsWorkflow>(DIAGNOSTICS_WORKFLOW, {
      taskQueue,
      workflowId: diagnosticsWorkflowId(tenantId, randomUUID()),
      args: [{ tenantId, echo }],
      workflowExecutionTimeout: '30s',
    });
  }

  it("counts the tenant's active modules through the worker and echoes the input", async () => {
    await expect(runDiagnostics(tenants.tenantA, 'ping from A')).resolves.toEqual({
      echo: 'ping from A',
      moduleCount: 2,
    });
  });

  it("sees none of another tenant's modules (row-level security in the activity)", async () => {
    await expect(runDiagnostics(tenants.tenantB, 'ping from B')).resolves.toEqual({
      echo: 'ping from B',
      moduleCount: 0,
    });
    // A tenant that does not exist at all gets the same answer.
    await expect(runDiagnostics(randomUUID(), 'nobody')).resolves.toEqual({ echo: 'nobody', moduleCount: 0 });
  });

  it('continues the caller’s trace into the workflow and the activity', async () => {
    const traceId = await testTracer.startActiveSpan('diagnostics request', async (span) => {
      try {
        await runDiagnostics(tenants.tenantA, 'traced');
        return span.spanContext().traceId;
      } finally {
        span.end();
      }
    });

    // The activity runs in this process, under the global tracer provider.
    const activitySpan = finishedSpans().find(
      (s) => s.name === 'RunActivity:countModules' && s.spanContext().traceId === traceId,
    );
    expect(activitySpan, 'activity span in the caller’s trace').toBeDefined();

    // Workflow spans leave the isolate through the exporter sink (after the workflow task completes).
    await vi.waitFor(() => {
      const names = workflowSpans
        .getFinishedSpans()
        .filter((s) => s.spanContext().traceId === traceId)
        .map((s) => s.name);
      expect(names).toEqual(
        expect.arrayContaining(['RunWorkflow:diagnosticsWorkflow', 'StartActivity:countModules']),
      );
    });
    const startActivity = workflowSpans
      .getFinishedSpans()
      .find((s) => s.name === 'StartActivity:countModules' && s.spanContext().traceId === traceId);
    expect(activitySpan?.parentSpanContext?.spanId).toBe(startActivity?.spanContext().spanId);
    expect(startActivity?.instrumentationScope.name).toBeTruthy();
  });
});
