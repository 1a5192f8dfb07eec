/**
 * Imported first by the control plane's entry point (and usable as `node --import`), so
 * instrumentation patches http, fastify and pg before they are loaded.
 */
import { register } from 'node:module';
import { startTelemetry } from './sdk';

// ESM imports are only visible to instrumentations through this loader hook; instrumentations
// only run when spans are exported (see sdk.ts).
if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT)
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);

const sdk = startTelemetry(process.env.OTEL_SERVICE_NAME ?? 'reliability-center-control-plane');
process.once('beforeExit', () => void sdk.shutdown());
