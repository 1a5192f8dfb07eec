export { startControlPlane, type ControlPlane } from './app';
export { loadConfigFromEnv, type ControlPlaneConfig } from './config';
export { appRouter, type AppRouter } from './trpc/router';
export { hashPassword } from './auth/passwords';
export { createOrm } from './db/orm';
export { inTenantTransaction } from './db/tenant-transaction';
export { appendAuditEvent, type AuditActor, type AuditEntry } from './audit/writer';
export { verifyAuditChain } from './audit/verify';
export {
  applyDegradedModeChanges,
  extendDegradedModeDeadline,
  requesterActor,
  restoreDegradedModeSnapshot,
  type DegradedModeRef,
} from './mitigations/degraded-mode-store';
export { loadBlastRadius, toFeatureView, toIntegrationView } from './catalog/service';
export { startTelemetry } from './telemetry/sdk';
