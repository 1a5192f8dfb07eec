export { startControlPlane, type ControlPlane } from './app';
export { loadConfigFromEnv, type ControlPlaneConfig } from './config';
export { appRouter, type AppRouter } from './trpc/router';
export { hashPassword } from './auth/passwords';
export { createOrm } from './db/orm';
export {
  connectionLimitsFromEnv,
  DEFAULT_CONNECTION_LIMITS,
  type ConnectionLimits,
} from './db/connection-limits';
export { inTenantTransaction } from './db/tenant-transaction';
export { appendAuditEvent, type AuditActor, type AuditEntry } from './audit/writer';
export { verifyAuditChain } from './audit/verify';
export {
  abandonDegradedModeChanges,
  applyDegradedModeChanges,
  extendDegradedModeDeadline,
  requesterActor,
  restoreDegradedModeSnapshot,
  type DegradedModeRef,
} from './mitigations/degraded-mode-store';
export {
  endMitigation,
  endSupersededMitigation,
  findActiveMitigation,
  newMitigation,
} from './mitigations/mitigation-rows';
export { closeBreakerRows, setBreakerState } from './breakers/breaker-rows';
// Entity schemas the worker's activities query with (the same instances the ORM registers).
export { IntegrationSchema, type Integration } from './catalog/entities';
export { MitigationSchema, type Mitigation } from './mitigations/entities';
export { ModuleSchema, type Module } from './modules/entities';
export { loadBlastRadius, toFeatureView, toIntegrationView } from './catalog/service';
export { startTelemetry } from './telemetry/sdk';
