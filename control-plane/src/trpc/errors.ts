import type { TRPCError } from '@trpc/server';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import {
  ERROR_CODES,
  fieldErrorsOf,
  type AppErrorData,
  type ErrorCode,
  type FieldErrors,
} from '@rc/contracts';
import { ZodError } from 'zod';
import { AppError } from '../errors';
import { isLockTimeout, LOCK_BUSY } from '../db/connection-limits';
import { DATABASE_UNAVAILABLE, isDatabaseUnavailable } from '../db/unavailable';

type TrpcKey = keyof typeof TRPC_ERROR_CODES_BY_KEY;

const TRPC_KEY_FOR: Record<ErrorCode, TrpcKey> = {
  ERR_UNAUTHENTICATED: 'UNAUTHORIZED',
  ERR_INVALID_CREDENTIALS: 'UNAUTHORIZED',
  ERR_FORBIDDEN: 'FORBIDDEN',
  ERR_TENANT_REQUIRED: 'BAD_REQUEST',
  ERR_NOT_FOUND: 'NOT_FOUND',
  ERR_VALIDATION: 'BAD_REQUEST',
  ERR_CONFLICT: 'CONFLICT',
  ERR_DEPENDENCY_CYCLE: 'CONFLICT',
  ERR_RATE_LIMITED: 'TOO_MANY_REQUESTS',
  ERR_WORKFLOW_FAILED: 'BAD_GATEWAY',
  ERR_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  ERR_INTERNAL: 'INTERNAL_SERVER_ERROR',
};

/** tRPC's own errors (unknown procedure, unparsable body) mapped to our codes. */
const CODE_FOR_TRPC: Partial<Record<TrpcKey, ErrorCode>> = {
  BAD_REQUEST: 'ERR_VALIDATION',
  PARSE_ERROR: 'ERR_VALIDATION',
  NOT_FOUND: 'ERR_NOT_FOUND',
  METHOD_NOT_SUPPORTED: 'ERR_VALIDATION',
  UNSUPPORTED_MEDIA_TYPE: 'ERR_VALIDATION',
  PAYLOAD_TOO_LARGE: 'ERR_VALIDATION',
  UNAUTHORIZED: 'ERR_UNAUTHENTICATED',
  FORBIDDEN: 'ERR_FORBIDDEN',
  TOO_MANY_REQUESTS: 'ERR_RATE_LIMITED',
};

/** Classifies any error a procedure produced into one stable code. */
export function classify(error: TRPCError): { code: ErrorCode; message: string; fieldErrors?: FieldErrors } {
  const cause = error.cause;
  if (cause instanceof AppError) {
    return {
      code: cause.code,
      message: cause.message,
      ...(cause.fieldErrors ? { fieldErrors: cause.fieldErrors } : {}),
    };
  }
  if (cause instanceof ZodError) {
    return { code: 'ERR_VALIDATION', message: 'invalid input', fieldErrors: fieldErrorsOf(cause) };
  }
  const code = CODE_FOR_TRPC[error.code];
  if (code) return { code, message: error.message };
  if (isDatabaseUnavailable(cause)) return { code: 'ERR_UNAVAILABLE', message: DATABASE_UNAVAILABLE };
  // The transaction rolled back; the other change holding the lock will usually be done soon.
  if (isLockTimeout(cause)) return { code: 'ERR_UNAVAILABLE', message: LOCK_BUSY };
  return { code: 'ERR_INTERNAL', message: 'internal error' };
}

export function formatError<TShape extends { code: number; message: string; data: object }>(
  shape: TShape,
  error: TRPCError,
  traceId: string | null,
): TShape & { data: AppErrorData } {
  const { code, message, fieldErrors } = classify(error);
  const spec = ERROR_CODES[code];
  const data: AppErrorData = {
    code,
    classification: spec.classification,
    httpStatus: spec.httpStatus,
    ...(fieldErrors ? { fieldErrors } : {}),
    ...(traceId ? { traceId } : {}),
  };
  return { ...shape, code: TRPC_ERROR_CODES_BY_KEY[TRPC_KEY_FOR[code]], message, data };
}
