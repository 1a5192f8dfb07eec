/** Bundle entry for the worker: every workflow the worker runs is exported from here. */
export { diagnosticsWorkflow } from './diagnostics/workflows';
export { circuitBreakerWorkflow } from './breakers/workflows';
export { degradedModeWorkflow } from './mitigations/workflows';
