import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOW_INTERCEPTOR_MODULES } from './telemetry';

/** The bundle entry: every workflow the worker runs. */
export const WORKFLOWS_PATH = fileURLToPath(new URL('./workflows.ts', import.meta.url));

/**
 * Bundles the workflow code with the OpenTelemetry workflow interceptors. Slow (webpack):
 * do it once per test run or build, then start workers with `workflowBundlePath`.
 */
export async function bundleWorkflows(): Promise<{ code: string }> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
  });
  return { code };
}
