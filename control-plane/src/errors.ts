import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { ERROR_CODES, type ErrorCode, type FieldErrors } from '@rc/contracts';

/** The one error type services throw. The tRPC error formatter turns it into a typed response. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly fieldErrors: FieldErrors | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { fieldErrors?: FieldErrors; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.fieldErrors = options.fieldErrors;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].httpStatus;
  }
}

/** Not found and "belongs to another tenant" answer the same, on purpose. */
export function notFound(what: string): AppError {
  return new AppError('ERR_NOT_FOUND', `${what} not found`);
}

/**
 * A unique-constraint violation (that name or key is taken in this tenant) as a 409 on `field`;
 * any other error as it is. For `catch (error) { throw alreadyExistsOr(error, 'name', '…') }`.
 */
export function alreadyExistsOr(error: unknown, field: string, message: string): unknown {
  if (!(error instanceof UniqueConstraintViolationException)) return error;
  return new AppError('ERR_CONFLICT', message, {
    fieldErrors: { [field]: ['already exists in this tenant'] },
  });
}
