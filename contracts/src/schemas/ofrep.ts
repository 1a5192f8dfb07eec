import { z } from 'zod';

/**
 * OpenFeature Remote Evaluation Protocol (OFREP) v1, as the control plane serves it at
 * `POST /ofrep/v1/evaluate/flags/{key}` (one flag) and `POST /ofrep/v1/evaluate/flags` (all flags,
 * with ETag / If-None-Match). Spec: open-feature/protocol `service/openapi.yaml`.
 *
 * Applications see two kinds of boolean flags:
 * - each feature of a module, under its own key (e.g. `billing.exports`): on or off right now,
 *   degraded mode included;
 * - each integration as `integration.<name>.available`: true while its circuit breaker is closed.
 */

/** OpenFeature error codes an OFREP response may carry. */
export const OFREP_ERROR_CODES = [
  'PARSE_ERROR',
  'TARGETING_KEY_MISSING',
  'INVALID_CONTEXT',
  'GENERAL',
  'FLAG_NOT_FOUND',
] as const;
export const OfrepErrorCode = z.enum(OFREP_ERROR_CODES);
export type OfrepErrorCode = z.infer<typeof OfrepErrorCode>;

/** Standard OpenFeature resolution reasons named by the OFREP spec. */
export const OFREP_REASONS = ['STATIC', 'TARGETING_MATCH', 'SPLIT', 'DISABLED', 'UNKNOWN'] as const;

/** Variants of the boolean flags served (the value is always given explicitly). */
export const OFREP_VARIANTS = { on: 'on', off: 'off' } as const;

/** The flag key under which an integration's availability (its breaker is closed) is served. */
export function integrationAvailabilityFlagKey(integrationName: string): string {
  return `integration.${integrationName}.available`;
}

export const OFREP_MAX_CONTEXT_ATTRIBUTES = 100;

/**
 * The evaluation context an OpenFeature SDK sends. Nothing is targeted on it today (every caller
 * of a tenant sees the same state), but its shape is checked so garbage gets a 400.
 */
export const OfrepEvaluationContext = z
  .object({ targetingKey: z.string().max(1024).optional() })
  .catchall(z.json())
  .refine((context) => Object.keys(context).length <= OFREP_MAX_CONTEXT_ATTRIBUTES, {
    message: `at most ${OFREP_MAX_CONTEXT_ATTRIBUTES} context attributes`,
  })
  .refine((context) => Object.keys(context).every((key) => key.length >= 1 && key.length <= 256), {
    message: 'context attribute names are 1 to 256 characters',
  });
export type OfrepEvaluationContext = z.infer<typeof OfrepEvaluationContext>;

/** Body of both evaluation requests (single and bulk). An absent body means `{}`. */
export const OfrepEvaluationRequest = z.strictObject({ context: OfrepEvaluationContext.optional() });
export type OfrepEvaluationRequest = z.infer<typeof OfrepEvaluationRequest>;

export const OfrepFlagMetadata = z.record(z.string(), z.union([z.boolean(), z.string(), z.number()]));

/** 200 of a single evaluation, and each entry of a bulk one. */
export const OfrepEvaluationSuccess = z.object({
  key: z.string(),
  value: z.boolean(),
  reason: z.enum(OFREP_REASONS),
  variant: z.string(),
  /**
   * Features: `{ module, critical, degradedMode }`;
   * integrations: `{ integration, breakerState }`.
   */
  metadata: OfrepFlagMetadata,
});
export type OfrepEvaluationSuccess = z.infer<typeof OfrepEvaluationSuccess>;

/** 400 / 404 of a single evaluation (and the body of 401 / 403 / 500, with the key when known). */
export const OfrepEvaluationFailure = z.object({
  key: z.string(),
  errorCode: OfrepErrorCode,
  /** Starts with our stable error code, e.g. `ERR_UNAUTHENTICATED: …`. */
  errorDetails: z.string().optional(),
});
export type OfrepEvaluationFailure = z.infer<typeof OfrepEvaluationFailure>;

/** 200 of a bulk evaluation; the ETag header identifies this exact answer. */
export const OfrepBulkEvaluationSuccess = z.object({ flags: z.array(OfrepEvaluationSuccess) });
export type OfrepBulkEvaluationSuccess = z.infer<typeof OfrepBulkEvaluationSuccess>;

/** 400 / 401 / 403 / 500 of a bulk evaluation. */
export const OfrepBulkEvaluationFailure = z.object({
  errorCode: OfrepErrorCode,
  errorDetails: z.string().optional(),
});
export type OfrepBulkEvaluationFailure = z.infer<typeof OfrepBulkEvaluationFailure>;
