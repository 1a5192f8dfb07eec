/**
 * A worker in a process of its own, for tests that kill it (SIGKILL: no shutdown, no goodbye)
 * and start another. Like `workers/src/main.ts`, minus telemetry, and with the test run's
 * prebuilt workflow bundle so that it polls within seconds:
 * `node --import tsx control-plane/src/mitigations/worker-process.fixture.ts`
 * with APP_DATABASE_URL, TEMPORAL_ADDRESS, TEMPORAL_TASK_QUEUE and WORKFLOW_BUNDLE_PATH.
 */
import { startWorker } from '@rc/workers';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const worker = await startWorker({
  temporalAddress: required('TEMPORAL_ADDRESS'),
  namespace: 'default',
  taskQueue: required('TEMPORAL_TASK_QUEUE'),
  appDatabaseUrl: required('APP_DATABASE_URL'),
  workflowBundlePath: required('WORKFLOW_BUNDLE_PATH'),
});
console.log(`worker ${process.pid} polling`);
process.once('SIGTERM', () => void worker.shutdown());
await worker.run;
process.exit(0);
