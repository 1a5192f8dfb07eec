import { FastifyOtelInstrumentation } from '@fastify/otel';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  NoopSpanProcessor,
  ParentBasedSampler,
} from '@opentelemetry/sdk-trace-node';

/**
 * Tracing is always on (every response and audit event carries a real trace id);
 * exporting is off unless OTEL_EXPORTER_OTLP_ENDPOINT names a collector.
 */
export function startTelemetry(serviceName: string): NodeSDK {
  const exporting = Boolean(process.env.OTEL_EXPORTER_OTLP_ENDPOINT);
  // Traces only: no metric or log exporters unless explicitly configured.
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  const sdk = new NodeSDK({
    serviceName,
    // Not exporting: spans are not recorded, but every span still gets real trace and span ids,
    // so x-trace-id, audit events and Temporal propagation work at almost no cost.
    sampler: new ParentBasedSampler({ root: exporting ? new AlwaysOnSampler() : new AlwaysOffSampler() }),
    spanProcessors: [exporting ? new BatchSpanProcessor(new OTLPTraceExporter()) : new NoopSpanProcessor()],
    // Instrumentations only matter when spans are exported; without them our own request and
    // tRPC spans still carry the trace ids (and Temporal propagates them), at far lower cost.
    instrumentations: exporting
      ? [
          new HttpInstrumentation(),
          new FastifyOtelInstrumentation({ registerOnInitialization: true }),
          new PgInstrumentation({ requireParentSpan: true }),
        ]
      : [],
  });
  sdk.start();
  return sdk;
}
