/**
 * Diagnostics workflow: proves control plane → Temporal → worker → database end to end.
 * Workflow code is deterministic: no I/O here, only activities (imported as types).
 */
import type { DiagnosticsWorkflowInput, DiagnosticsWorkflowResult } from '@rc/contracts/workflows';
import { proxyActivities } from '@temporalio/workflow';
import type { DiagnosticsActivities } from './activities';

const { countModules } = proxyActivities<DiagnosticsActivities>({
  startToCloseTimeout: '10 seconds',
  retry: {
    initialInterval: '200 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '2 seconds',
    maximumAttempts: 3,
  },
});

export async function diagnosticsWorkflow(
  input: DiagnosticsWorkflowInput,
): Promise<DiagnosticsWorkflowResult> {
  const moduleCount = await countModules(input.tenantId);
  return { echo: input.echo, moduleCount };
}
