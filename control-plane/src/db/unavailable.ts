/**
 * Telling "the database cannot be reached right now" (PostgreSQL restarting, a failover, a network
 * cut) from a fault in the request or in our code: the first answers 503 ERR_UNAVAILABLE and is
 * worth retrying, the second stays a logged 500. Only connection-level signs count; a SQL error
 * our own code caused (e.g. 08P01 protocol violation from a bad bind) is not one of them.
 *
 * The cause chain is walked because drivers wrap the socket error. The control plane opens no
 * other outbound connection inside a request (Temporal errors are AppErrors by the time they get
 * here); if one is added, its errors must be turned into AppErrors before they reach this check.
 */

/** What the API says. Not "nothing changed": a connection lost during COMMIT leaves that unknown. */
export const DATABASE_UNAVAILABLE =
  'the database is unavailable right now; try again shortly (if you were changing something, check whether it took effect first)';

/** Socket-level failures to reach the server, or a connection it cut; DNS failing in a failover. */
const CONNECTION_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs: connection exceptions (08000 connection_exception, 08001 cannot establish,
 * 08003 connection does not exist, 08004 server rejected, 08006 connection failure,
 * 08007 transaction resolution unknown), 53300 too many connections, and 57P01/57P02/57P03
 * (admin shutdown, crash shutdown, cannot connect now: starting up or shutting down).
 */
const UNAVAILABLE_SQLSTATES = new Set([
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '08007',
  '53300',
  '57P01',
  '57P02',
  '57P03',
]);

/** node-postgres' own errors for a connection lost or never made (they carry no code). */
const CONNECTION_LOST =
  /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect)/;

/** Whether `error` (or one of its causes) means the database is unreachable right now. */
export function isDatabaseUnavailable(error: unknown): boolean {
  let current = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    // The ORM's pool gave up waiting for a connection (none could be made).
    if (current.name === 'KnexTimeoutError') return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (CONNECTION_ERRNOS.has(code) || UNAVAILABLE_SQLSTATES.has(code))) {
      return true;
    }
    if (CONNECTION_LOST.test(current.message)) return true;
    // Connecting to a host name tries each of its addresses: every one of them failed.
    if (current instanceof AggregateError && current.errors.some(isDatabaseUnavailable)) return true;
    current = current.cause;
  }
  return false;
}

let lastWarnedAt = 0;

/** One line every 10 s at most while the database is down, not one per failed request. */
export function warnDatabaseUnavailable(error: unknown): void {
  const now = Date.now();
  if (now - lastWarnedAt < 10_000) return;
  lastWarnedAt = now;
  const message = error instanceof Error ? error.message : String(error);
  console.warn(`[db] the database is unavailable; requests answer 503 ERR_UNAVAILABLE (${message})`);
}
