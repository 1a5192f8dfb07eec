/** Process entry of the worker: `node --import tsx workers/src/main.ts`. */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { DEFAULT_TASK_QUEUE } from '@rc/contracts';
import { connectionLimitsFromEnv, startTelemetry } from '@rc/control-plane';
import { WORKER_SERVICE_NAME, workerResource } from './telemetry';
import { startWorker } from './worker';

const serviceName = process.env.OTEL_SERVICE_NAME ?? WORKER_SERVICE_NAME;
// Same rule as the control plane: tracing always on, exporting only when a collector is named.
const sdk = startTelemetry(serviceName);
const workflowSpanProcessor = process.env.OTEL_EXPORTER_OTLP_ENDPOINT
  ? new BatchSpanProcessor(new OTLPTraceExporter())
  : undefined;

const appDatabaseUrl = process.env.APP_DATABASE_URL;
if (!appDatabaseUrl) {
  console.error('APP_DATABASE_URL is required (the application role, so row-level security applies)');
  process.exit(1);
}
const temporalAddress = process.env.TEMPORAL_ADDRESS || '127.0.0.1:7233';
const namespace = process.env.TEMPORAL_NAMESPACE || 'default';
const taskQueue = process.env.TEMPORAL_TASK_QUEUE || DEFAULT_TASK_QUEUE;

const worker = await startWorker({
  temporalAddress,
  namespace,
  taskQueue,
  appDatabaseUrl,
  connectionLimits: connectionLimitsFromEnv(),
  workflowSpanProcessor,
  resource: workerResource(serviceName),
});
console.log(`worker polling task queue ${taskQueue} on ${temporalAddress} (namespace ${namespace})`);

let stopping: Promise<void> | undefined;
function stop(): Promise<void> {
  stopping ??= (async () => {
    try {
      await worker.shutdown();
    } finally {
      await workflowSpanProcessor?.shutdown();
      await sdk.shutdown();
    }
  })();
  return stopping;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log(`${signal} received, stopping the worker`);
    void stop();
  });
}

try {
  // Resolves once the worker has drained (after a signal), rejects if it failed.
  await worker.run;
  await stop();
  process.exit(0);
} catch (error) {
  console.error('worker failed', error);
  await stop().catch(() => undefined);
  process.exit(1);
}
