import { FastifyOtelInstrumentation } from '@fastify/otel';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, NoopSpanProcessor } from '@opentelemetry/sdk-trace-node';

/**
 * Tracing is always on (every response and audit event carries a real trace id);
 * exporting is off unless OTEL_EXPORTER_OTLP_ENDPOINT names a collector.
 */
export function startTelemetry(serviceName: string): NodeSDK {
  const exporting = Boolean(process.env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const sdk = new NodeSDK({
    serviceName,
    spanProcessors: [exporting ? new BatchSpanProcessor(new OTLPTraceExporter()) : new NoopSpanProcessor()],
    instrumentations: [
      new HttpInstrumentation(),
      new FastifyOtelInstrumentation({ registerOnInitialization: true }),
      new PgInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
  return sdk;
}
