import {
  DIAGNOSTICS_WORKFLOW,
  diagnosticsWorkflowId,
  type DiagnosticsResult,
  type DiagnosticsWorkflowInput,
  type DiagnosticsWorkflowResult,
} from '@rc/contracts';
import { WorkflowFailedError } from '@temporalio/client';
import { recordAudit } from '../audit/record';
import { inRequestTenant } from '../db/request-tenant';
import { AppError } from '../errors';
import type { TenantRequest } from '../trpc/context';

/** Starts a small workflow on the worker and waits for its answer: proves control plane → Temporal → worker → database. */
export async function runDiagnostics(request: TenantRequest, echo: string): Promise<DiagnosticsResult> {
  const { temporal, config } = request.deps;
  const workflowId = diagnosticsWorkflowId(request.tenantId, request.requestId);
  const input: DiagnosticsWorkflowInput = { tenantId: request.tenantId, echo };
  try {
    const result = await temporal.workflow.execute<
      (input: DiagnosticsWorkflowInput) => Promise<DiagnosticsWorkflowResult>
    >(DIAGNOSTICS_WORKFLOW, {
      taskQueue: config.temporal.taskQueue,
      workflowId,
      args: [input],
      workflowExecutionTimeout: '30s',
    });
    // Starting a workflow is an action: it is audited like any other.
    await inRequestTenant(request, (em) =>
      recordAudit(em, request, {
        action: 'diagnostics.run',
        resourceType: 'Diagnostics',
        resourceId: workflowId,
        details: { moduleCount: result.moduleCount },
      }),
    );
    return { workflowId, echo: result.echo, moduleCount: result.moduleCount, traceId: request.traceId };
  } catch (error) {
    if (error instanceof WorkflowFailedError) {
      throw new AppError(
        'ERR_WORKFLOW_FAILED',
        `diagnostics workflow failed: ${error.cause?.message ?? error.message}`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}
