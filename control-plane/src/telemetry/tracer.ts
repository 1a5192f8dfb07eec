import { trace } from '@opentelemetry/api';

/** The control plane's tracer. Without a registered SDK, spans are no-ops (and the trace id is all zeros). */
export const tracer = trace.getTracer('reliability-center/control-plane');
