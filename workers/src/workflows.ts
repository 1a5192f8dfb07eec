/** Bundle entry for the worker: every workflow the worker runs is exported from here. */
export { diagnosticsWorkflow } from './diagnostics/workflows';
