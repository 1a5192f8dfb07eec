import { createHash } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../errors';

const WINDOW_SECONDS = 15 * 60;
/** Failed attempts on one account from one address. */
export const FAILURES_PER_ACCOUNT_AND_ADDRESS = 5;
/** All attempts from one address. */
export const ATTEMPTS_PER_ADDRESS = 100;

/**
 * Login throttling, stored in PostgreSQL so every replica agrees. Every attempt consumes a
 * point atomically BEFORE the password is checked (so concurrent attempts cannot all slip
 * through a read-then-write gap); a successful login forgets its (account, address) count.
 * Limits: attempts per address, attempts per (account, address).
 *
 * Deliberately no hard limit per account across all addresses: anyone could then lock an
 * on-call operator out of the console, during an incident, with a few wrong passwords sent from
 * a handful of addresses. Guessing from many addresses is slowed by Argon2id and bounded by the
 * per-address limit.
 */
export class LoginRateLimiter {
  private readonly perAccountAndIp: RateLimiterPostgres;
  private readonly perIp: RateLimiterPostgres;

  constructor(orm: MikroORM) {
    const common = {
      storeClient: orm.em.getConnection().getKnex(),
      storeType: 'knex',
      tableName: 'login_rate_limits',
      tableCreated: true,
      clearExpiredByTimeout: false,
      duration: WINDOW_SECONDS,
    };
    this.perAccountAndIp = new RateLimiterPostgres({
      ...common,
      keyPrefix: 'login_fail',
      points: FAILURES_PER_ACCOUNT_AND_ADDRESS,
    });
    this.perIp = new RateLimiterPostgres({ ...common, keyPrefix: 'login_ip', points: ATTEMPTS_PER_ADDRESS });
  }

  /**
   * Counts this attempt against every limit and refuses (429) once one is used up.
   * Call before verifying the password; then `recordSuccess` if it was right.
   */
  async beforeAttempt(email: string, ip: string): Promise<void> {
    try {
      await this.perIp.consume(ip);
      await this.perAccountAndIp.consume(accountAndAddressKey(email, ip));
    } catch (error) {
      if (error instanceof RateLimiterRes) throw this.limited(error);
      throw error;
    }
  }

  /** The password was right: this account's attempts from this address are forgotten. */
  async recordSuccess(email: string, ip: string): Promise<void> {
    await this.perAccountAndIp.delete(accountAndAddressKey(email, ip));
  }

  private limited(res: RateLimiterRes): AppError {
    const seconds = Math.ceil(res.msBeforeNext / 1000);
    return new AppError('ERR_RATE_LIMITED', `too many login attempts, retry in ${seconds}s`);
  }
}

/** Hashed: an email may be 254 characters, more than the key column holds with an address. */
function accountAndAddressKey(email: string, ip: string): string {
  return createHash('sha256').update(`${email}|${ip}`).digest('hex');
}
