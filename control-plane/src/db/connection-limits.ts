/**
 * Limits every connection of the application role starts with. They are PostgreSQL session
 * settings sent at connect time, so they cost no round trip per transaction.
 *
 * - `lock_timeout`: a statement that waits longer than this for one lock held by another
 *   transaction gives up (SQLSTATE 55P03) and its transaction rolls back. A request then answers
 *   503 instead of hanging, and an activity attempt stuck behind a lock fails and is retried
 *   instead of waiting for ever. It bounds each wait, not a whole attempt: that attempts never
 *   both apply is kept by the module lock and the mitigation-row fence (degraded-mode-store.ts).
 * - `idle_in_transaction_session_timeout`: a transaction left open by a process that stopped
 *   mid-way (hung, paused, cut off) is ended by the server, and the locks it held are released.
 */
export interface ConnectionLimits {
  lockTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
}

/** A person should not wait longer than this on a lock; an activity attempt is retried after it. */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  lockTimeoutMs: 5_000,
  idleInTransactionTimeoutMs: 60_000,
};

/** From `DB_LOCK_TIMEOUT_MS` and `DB_IDLE_IN_TRANSACTION_TIMEOUT_MS`; a bad value stops startup. */
export function connectionLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): ConnectionLimits {
  return {
    lockTimeoutMs: positiveMs(env, 'DB_LOCK_TIMEOUT_MS', DEFAULT_CONNECTION_LIMITS.lockTimeoutMs),
    idleInTransactionTimeoutMs: positiveMs(
      env,
      'DB_IDLE_IN_TRANSACTION_TIMEOUT_MS',
      DEFAULT_CONNECTION_LIMITS.idleInTransactionTimeoutMs,
    ),
  };
}

function positiveMs(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  // 0 would mean "no limit" to PostgreSQL: refused, since the limit is what keeps attempts apart.
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${name} must be a positive whole number of milliseconds (got ${JSON.stringify(raw)})`);
  }
  return value;
}

/** The same limits as node-postgres connection options (sent in the startup message). */
export function pgConnectionLimits(limits: ConnectionLimits): {
  lock_timeout: number;
  idle_in_transaction_session_timeout: number;
} {
  return {
    lock_timeout: limits.lockTimeoutMs,
    idle_in_transaction_session_timeout: limits.idleInTransactionTimeoutMs,
  };
}

/** What a request hears when its transaction gave up waiting for a lock. */
export const LOCK_BUSY =
  'another change to the same resource is still in progress; try again shortly (if you were changing something, check whether it took effect first)';

/** Whether `error` is a lock wait that hit `lock_timeout` (55P03 lock_not_available). */
export function isLockTimeout(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === '55P03';
}
