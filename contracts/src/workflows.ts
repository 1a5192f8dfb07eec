/**
 * Imported by workflow code as `@rc/contracts/workflows`: this file must stay free of imports
 * (workflow bundles reload every module they import for each workflow run; zod and CASL are costly).
 *
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

export const DEGRADED_MODE_WORKFLOW = 'degradedModeWorkflow';
/** Degraded mode never runs more than 8 hours at once (extensions included). */
export const DEGRADED_MODE_MAX_MINUTES = 480;
/** Who asked, carried into the workflow so every step it audits names them and the request's trace. */
export interface MitigationRequester {
  kind: 'user' | 'api_token';
  id: string;
  label: string;
  role: string;
  requestId: string;
  traceId: string | null;
}
export interface DegradedModeWorkflowInput {
  tenantId: string;
  moduleId: string;
  mitigationId: string;
  reason: string;
  durationMs: number;
  requester: MitigationRequester;
}
export const DEGRADED_MODE_SIGNALS = { extend: 'extendDegradedMode', end: 'endDegradedMode' } as const;
/**
 * `applied` answers once the running workflow has applied degraded mode: the mitigation it manages
 * (another request's when one was already running), and `active: false` when it is restoring.
 */
export const DEGRADED_MODE_UPDATES = { applied: 'degradedModeApplied' } as const;
export interface DegradedModeAppliedResult {
  mitigationId: string;
  active: boolean;
}
export interface ExtendDegradedModeSignal {
  additionalMs: number;
  reason: string;
  requester: MitigationRequester;
}
export interface EndDegradedModeSignal {
  reason: string;
  requester: MitigationRequester;
}
/** One degraded mode per module at a time: the id is the idempotency key. */
export function degradedModeWorkflowId(tenantId: string, moduleId: string): string {
  return `degraded-mode:${tenantId}:${moduleId}`;
}

export const CIRCUIT_BREAKER_WORKFLOW = 'circuitBreakerWorkflow';
export interface CircuitBreakerWorkflowInput {
  tenantId: string;
  integrationId: string;
  mitigationId: string;
  reason: string;
  coolDownMs: number;
  /**
   * Cap of the backed-off cool-down (doubled after each failed half-open phase); optional, so
   * runs started without it keep the default of an hour, which is also its upper bound.
   */
  maxCoolDownMs?: number;
  requester: MitigationRequester;
}
export const CIRCUIT_BREAKER_SIGNALS = { forceClose: 'forceCloseBreaker' } as const;
/**
 * `opened` answers once the running workflow has opened its breaker: the mitigation it manages
 * (another request's when one was already running), and `active: false` when it is closing.
 */
export const CIRCUIT_BREAKER_UPDATES = { opened: 'breakerOpened' } as const;
export interface BreakerOpenedResult {
  mitigationId: string;
  active: boolean;
}
export interface ForceCloseBreakerSignal {
  reason: string;
  requester: MitigationRequester;
}
export function circuitBreakerWorkflowId(tenantId: string, integrationId: string): string {
  return `circuit-breaker:${tenantId}:${integrationId}`;
}
