export { startWorker, type RunningWorker, type StartWorkerOptions } from './worker';
export { bundleWorkflows, WORKFLOWS_PATH } from './bundle';
export { createActivities, type Activities, type ActivityDeps } from './activities';
export { workerResource, workflowSpanSinks, WORKER_SERVICE_NAME } from './telemetry';
