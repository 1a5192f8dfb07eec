/**
 * Runs before each test file: a real OpenTelemetry tracer provider, so spans created by the
 * code under test have real trace ids (audit rows carry them). Spans stay in memory; tests can
 * read them with finishedSpans().
 */
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';

const exporter = new InMemorySpanExporter();

// A global provider can be registered once per process; the guard keeps a second
// registration (non-isolated runs) from failing silently with a no-op tracer.
const REGISTERED = Symbol.for('rc.test.tracerProvider');
const globalState = globalThis as { [REGISTERED]?: InMemorySpanExporter };
if (!globalState[REGISTERED]) {
  new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register();
  globalState[REGISTERED] = exporter;
}

/** Spans ended so far in this test file (this process). */
export function finishedSpans() {
  return (globalState[REGISTERED] ?? exporter).getFinishedSpans();
}

export function resetSpans(): void {
  (globalState[REGISTERED] ?? exporter).reset();
}

/** The tracer tests use to open a span around the code they call. */
export const testTracer = trace.getTracer('tests');
