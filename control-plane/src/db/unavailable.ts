import { ConnectionException } from '@mikro-orm/core';

/** What the API says when the database cannot be reached (the code is ERR_UNAVAILABLE, 503). */
export const DATABASE_UNAVAILABLE =
  'the database is unavailable right now; nothing was changed, try again shortly';

/** Socket-level failures to reach the server, or a connection it cut. */
const CONNECTION_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
/** SQLSTATE admin_shutdown, crash_shutdown, cannot_connect_now (starting up or shutting down). */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03']);
/** node-postgres' own errors for a connection lost under a query (they carry no code). */
const CONNECTION_LOST =
  /^(Connection terminated|Client has encountered a connection error|Client was closed)/;

/**
 * Whether `error` (or one of its causes) means the database is unreachable right now: refused,
 * cut, shutting down or starting up (e.g. PostgreSQL restarting), as opposed to a fault in the
 * request or in our code. The transaction it interrupted was not committed.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  let current = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current instanceof ConnectionException) return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') {
      // SQLSTATE class 08: connection exceptions.
      if (CONNECTION_ERRNOS.has(code) || UNAVAILABLE_SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code))
        return true;
    }
    if (CONNECTION_LOST.test(current.message)) return true;
    // Connecting to a host name tries each of its addresses: every one of them failed.
    if (current instanceof AggregateError && current.errors.some(isDatabaseUnavailable)) return true;
    current = current.cause;
  }
  return false;
}
