import type { ZodError } from 'zod';

/**
 * Stable error codes. Clients switch on `code`, never on the message.
 * Each code has one HTTP status and a classification used by alerting/audit.
 */
export const ERROR_CODES = {
  ERR_UNAUTHENTICATED: { httpStatus: 401, classification: 'SECURITY' },
  ERR_INVALID_CREDENTIALS: { httpStatus: 401, classification: 'SECURITY' },
  ERR_FORBIDDEN: { httpStatus: 403, classification: 'SECURITY' },
  ERR_TENANT_REQUIRED: { httpStatus: 400, classification: 'CLIENT' },
  ERR_NOT_FOUND: { httpStatus: 404, classification: 'CLIENT' },
  ERR_VALIDATION: { httpStatus: 400, classification: 'CLIENT' },
  ERR_CONFLICT: { httpStatus: 409, classification: 'CLIENT' },
  ERR_DEPENDENCY_CYCLE: { httpStatus: 409, classification: 'CLIENT' },
  ERR_RATE_LIMITED: { httpStatus: 429, classification: 'SECURITY' },
  ERR_WORKFLOW_FAILED: { httpStatus: 502, classification: 'DEPENDENCY' },
  /**
   * The database cannot be reached right now (restarting, failing over), or another change held
   * the lock this request needed past the lock timeout: try again shortly.
   */
  ERR_UNAVAILABLE: { httpStatus: 503, classification: 'DEPENDENCY' },
  ERR_INTERNAL: { httpStatus: 500, classification: 'INTERNAL' },
} as const satisfies Record<string, { httpStatus: number; classification: ErrorClassification }>;

export type ErrorClassification = 'SECURITY' | 'CLIENT' | 'DEPENDENCY' | 'INTERNAL';
export type ErrorCode = keyof typeof ERROR_CODES;

/** Field-level validation problems, keyed by dotted input path ("" for the root). */
export type FieldErrors = Record<string, string[]>;

/** A zod failure as field errors: what the API answers with, and what the console shows by each field. */
export function fieldErrorsOf(error: ZodError): FieldErrors {
  const fields: FieldErrors = {};
  for (const issue of error.issues) {
    const key = issue.path.map(String).join('.');
    (fields[key] ??= []).push(issue.message);
  }
  return fields;
}

/** The `data` part of every error the API returns (tRPC error shape `data`). */
export interface AppErrorData {
  code: ErrorCode;
  classification: ErrorClassification;
  httpStatus: number;
  fieldErrors?: FieldErrors;
  traceId?: string;
}
