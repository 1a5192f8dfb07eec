import type { Resource } from '@opentelemetry/resources';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createOrm, type ConnectionLimits } from '@rc/control-plane';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities, type Activities } from './activities';
import { WORKFLOWS_PATH } from './bundle';
import { activityTracingInterceptors, WORKFLOW_INTERCEPTOR_MODULES, workflowSpanSinks } from './telemetry';

export interface StartWorkerOptions {
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  /** Connects as the application role, so row-level security applies to every activity. */
  appDatabaseUrl: string;
  /** Lock wait and idle-transaction limits of its database connections (defaults: DEFAULT_CONNECTION_LIMITS). */
  connectionLimits?: ConnectionLimits;
  /** A prebuilt bundle (see bundleWorkflows); without it the workflows are bundled at start (slow, dev only). */
  workflowBundlePath?: string;
  /** Receives the workflow spans (activity spans go to the global tracer provider). Dropped when absent. */
  workflowSpanProcessor?: SpanProcessor;
  /** The resource stamped on workflow spans. */
  resource?: Resource;
  /** Tests only: wraps the activities, e.g. to lose an activity's answer after it committed. */
  wrapActivities?: (activities: Activities) => Activities;
}

export interface RunningWorker {
  worker: Worker;
  /** Settles when the worker has stopped: resolves after shutdown, rejects if the worker failed. */
  run: Promise<void>;
  /** Stops polling, lets running tasks finish, then closes the Temporal connection and the ORM. Idempotent. */
  shutdown(): Promise<void>;
}

export async function startWorker(options: StartWorkerOptions): Promise<RunningWorker> {
  const orm = await createOrm(options.appDatabaseUrl, { limits: options.connectionLimits });
  let connection: NativeConnection | undefined;
  let worker: Worker;
  try {
    connection = await NativeConnection.connect({ address: options.temporalAddress });
    worker = await Worker.create({
      connection,
      namespace: options.namespace,
      taskQueue: options.taskQueue,
      // With a prebuilt bundle, the workflow interceptors are already inside it (bundleWorkflows).
      ...(options.workflowBundlePath
        ? { workflowBundle: { codePath: options.workflowBundlePath } }
        : { workflowsPath: WORKFLOWS_PATH }),
      activities: (options.wrapActivities ?? ((activities) => activities))(createActivities({ orm })),
      interceptors: {
        activity: [activityTracingInterceptors],
        ...(options.workflowBundlePath ? {} : { workflowModules: WORKFLOW_INTERCEPTOR_MODULES }),
      },
      sinks: workflowSpanSinks(options.workflowSpanProcessor, options.resource),
    });
  } catch (error) {
    await connection?.close();
    await orm.close(true);
    throw error;
  }
  const openConnection = connection;

  const run = worker.run();
  // The caller observes failures through `run`; this only keeps an unobserved failure from crashing the process.
  run.catch(() => undefined);

  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      // The Temporal runtime may already have begun shutting down on SIGINT/SIGTERM.
      if (worker.getState() === 'RUNNING') worker.shutdown();
      try {
        await run;
      } finally {
        await openConnection.close();
        await orm.close(true);
      }
    })();
    return stopping;
  };

  return { worker, run, shutdown };
}
