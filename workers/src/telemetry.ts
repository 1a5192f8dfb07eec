/**
 * OpenTelemetry wiring for the worker: the trace started by the control plane's client call
 * (OpenTelemetryWorkflowClientInterceptor) continues into the workflow and its activities.
 *
 * - Activities: the SDK's activity interceptors open `RunActivity:<type>` spans in the worker
 *   process, under the global tracer provider, as children of the workflow's `StartActivity` span.
 * - Workflows: the SDK's workflow interceptors run inside the isolate (they must be bundled with the
 *   workflow code, see WORKFLOW_INTERCEPTOR_MODULES) and hand finished spans out through the
 *   `exporter` sink built here.
 *
 * @temporalio/interceptors-opentelemetry 1.24 is built on OpenTelemetry JS v1: its own
 * `makeWorkflowExporter` hands v1-shaped spans (`instrumentationLibrary`, `parentSpanId`) to the
 * processor, which v2 processors and exporters (`instrumentationScope`, `parentSpanContext`) cannot
 * read. So the sink is implemented here and converts each span to a v2 ReadableSpan.
 */
import { createRequire } from 'node:module';
import { createTraceState, type SpanContext } from '@opentelemetry/api';
import { defaultResource, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { NoopSpanProcessor, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  type OpenTelemetrySinks,
  type SerializableSpan,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';

export const WORKER_SERVICE_NAME = 'reliability-center-worker';

const require = createRequire(import.meta.url);

/** Modules exporting `interceptors` for the workflow isolate: bundled with the workflow code. */
export const WORKFLOW_INTERCEPTOR_MODULES: string[] = [
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
];

/** Opens a span per activity execution, parented by the trace context carried in the activity headers. */
export const activityTracingInterceptors: ActivityInterceptorsFactory = (ctx) => ({
  inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
  outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
});

export function workerResource(serviceName: string = WORKER_SERVICE_NAME): Resource {
  return defaultResource().merge(resourceFromAttributes({ 'service.name': serviceName }));
}

/**
 * The `exporter` sink the workflow interceptors call with their finished spans. Not called
 * during replay, so a replayed workflow task does not export its spans twice.
 * Without a processor, workflow spans are dropped (the sink must exist all the same).
 */
export function workflowSpanSinks(
  processor: SpanProcessor = new NoopSpanProcessor(),
  resource: Resource = workerResource(),
): InjectedSinks<OpenTelemetrySinks> {
  return {
    exporter: {
      export: {
        fn: (info, spans) => {
          for (const span of spans) processor.onEnd(toReadableSpan(span, info, resource));
        },
        callDuringReplay: false,
      },
    },
  };
}

function toReadableSpan(span: SerializableSpan, info: WorkflowInfo, resource: Resource): ReadableSpan {
  const { traceState, ...context } = span.spanContext;
  const spanContext: SpanContext = {
    ...context,
    traceState: traceState ? createTraceState(traceState) : undefined,
  };
  const parentSpanContext: SpanContext | undefined = span.parentSpanId
    ? { traceId: spanContext.traceId, spanId: span.parentSpanId, traceFlags: spanContext.traceFlags }
    : undefined;
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => spanContext,
    parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status: span.status,
    attributes: {
      ...span.attributes,
      temporalWorkflowId: info.workflowId,
      run_id: info.runId,
      temporalWorkflowType: info.workflowType,
      temporalNamespace: info.namespace,
      temporalTaskQueue: info.taskQueue,
    },
    links: span.links,
    events: span.events,
    duration: span.duration,
    ended: span.ended,
    resource,
    instrumentationScope: span.instrumentationLibrary,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}
