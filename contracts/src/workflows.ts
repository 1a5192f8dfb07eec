/**
 * Names and payloads shared by the control plane (which starts workflows) and the
 * worker (which runs them). Every workflow input carries its tenant.
 */
export const DEFAULT_TASK_QUEUE = 'reliability-center';

export const DIAGNOSTICS_WORKFLOW = 'diagnosticsWorkflow';
export interface DiagnosticsWorkflowInput {
  tenantId: string;
  echo: string;
}
export interface DiagnosticsWorkflowResult {
  echo: string;
  moduleCount: number;
}
/** Deterministic ids keyed by tenant: the same request never starts two workflows. */
export function diagnosticsWorkflowId(tenantId: string, requestId: string): string {
  return `diagnostics:${tenantId}:${requestId}`;
}
