import { z } from 'zod';
import { DEGRADED_MODE_MAX_MINUTES } from '../workflows';
import { Id, Reason } from './common';
import { BreakerState } from './catalog';

/** Degraded mode lasts 30 minutes unless asked otherwise, never more than 8 hours at once. */
export const DEGRADED_MODE_DEFAULT_MINUTES = 30;

export const StartDegradedModeInput = z.strictObject({
  moduleId: Id,
  reason: Reason,
  durationMinutes: z
    .number()
    .int()
    .min(1)
    .max(DEGRADED_MODE_MAX_MINUTES)
    .default(DEGRADED_MODE_DEFAULT_MINUTES),
});
export type StartDegradedModeInput = z.infer<typeof StartDegradedModeInput>;

export const ExtendDegradedModeInput = z.strictObject({
  moduleId: Id,
  reason: Reason,
  additionalMinutes: z.number().int().min(1).max(DEGRADED_MODE_MAX_MINUTES),
});
export type ExtendDegradedModeInput = z.infer<typeof ExtendDegradedModeInput>;

export const EndDegradedModeInput = z.strictObject({ moduleId: Id, reason: Reason });
export type EndDegradedModeInput = z.infer<typeof EndDegradedModeInput>;

/** The module's active degraded mode, or null when none is active. */
export const GetDegradedModeInput = z.strictObject({ moduleId: Id });

export const MITIGATION_KINDS = ['degraded_mode', 'circuit_breaker'] as const;
export const MITIGATION_STATUSES = ['active', 'ended'] as const;

export const MitigationView = z.object({
  id: z.uuid(),
  kind: z.enum(MITIGATION_KINDS),
  targetId: z.uuid(),
  workflowId: z.string(),
  status: z.enum(MITIGATION_STATUSES),
  reason: z.string(),
  requestedBy: z.string(),
  requestedByLabel: z.string(),
  traceId: z.string().nullable(),
  /** For degraded mode: `{ features: { [feature key]: enabled } }` before it started (restored exactly). */
  snapshot: z.record(z.string(), z.unknown()),
  startedAt: z.string(),
  endsAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  endReason: z.string().nullable(),
});
export type MitigationView = z.infer<typeof MitigationView>;

/** Answer to a start request: the mitigation, and whether one was already running (idempotent start). */
export const StartedMitigation = z.object({ mitigation: MitigationView, alreadyRunning: z.boolean() });
export type StartedMitigation = z.infer<typeof StartedMitigation>;

export const ListMitigationsInput = z
  .strictObject({
    status: z.enum(MITIGATION_STATUSES).optional(),
    limit: z.number().int().min(1).max(200).default(50),
  })
  .default({ limit: 50 });

export const BREAKER_COOL_DOWN_DEFAULT_SECONDS = 60;
/** Bounds of the cool-down and of its back-off cap. */
export const BREAKER_COOL_DOWN_MAX_SECONDS = 3600;

export const OpenBreakerInput = z
  .strictObject({
    integrationId: Id,
    reason: Reason,
    /** Time the breaker stays open before probing at half-open. */
    coolDownSeconds: z
      .number()
      .int()
      .min(1)
      .max(BREAKER_COOL_DOWN_MAX_SECONDS)
      .default(BREAKER_COOL_DOWN_DEFAULT_SECONDS),
    /**
     * The cool-down doubles after each failed half-open phase, up to this (an hour when absent).
     * A cap below `coolDownSeconds` is refused rather than quietly ignored.
     */
    maxCoolDownSeconds: z.number().int().min(1).max(BREAKER_COOL_DOWN_MAX_SECONDS).optional(),
  })
  .refine(
    (input) => input.maxCoolDownSeconds === undefined || input.maxCoolDownSeconds >= input.coolDownSeconds,
    {
      message: 'must be at least the cool-down (coolDownSeconds)',
      path: ['maxCoolDownSeconds'],
    },
  );
export type OpenBreakerInput = z.infer<typeof OpenBreakerInput>;

export const ForceCloseBreakerInput = z.strictObject({ integrationId: Id, reason: Reason });
export type ForceCloseBreakerInput = z.infer<typeof ForceCloseBreakerInput>;

export const BreakerView = z.object({
  integrationId: z.uuid(),
  name: z.string(),
  state: BreakerState,
  mitigation: MitigationView.nullable(),
});
export type BreakerView = z.infer<typeof BreakerView>;
