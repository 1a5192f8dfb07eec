import type { MikroORM } from '@mikro-orm/postgresql';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../errors';

const WINDOW_SECONDS = 15 * 60;
/** Failed attempts on one account from one address. */
export const FAILURES_PER_ACCOUNT_AND_ADDRESS = 5;
/** Failed attempts on one account from all addresses together (an attacker spread over many). */
export const FAILURES_PER_ACCOUNT = 20;
/** All attempts from one address. */
export const ATTEMPTS_PER_ADDRESS = 100;

/**
 * Login throttling, stored in PostgreSQL so every replica agrees. Every attempt consumes a
 * point atomically BEFORE the password is checked (so concurrent attempts cannot all slip
 * through a read-then-write gap); a successful login gives its account points back.
 * Limits: attempts per address, failures per (account, address), failures per account.
 */
export class LoginRateLimiter {
  private readonly perAccountAndIp: RateLimiterPostgres;
  private readonly perAccount: RateLimiterPostgres;
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
    this.perAccount = new RateLimiterPostgres({
      ...common,
      keyPrefix: 'login_account',
      points: FAILURES_PER_ACCOUNT,
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
      await this.perAccountAndIp.consume(`${email}|${ip}`);
      await this.perAccount.consume(email);
    } catch (error) {
      if (error instanceof RateLimiterRes) throw this.limited(error);
      throw error;
    }
  }

  /**
   * The password was right: this account's failures from this address are forgotten, and the
   * point this attempt took from the account-wide limit is given back (others' failures stay).
   */
  async recordSuccess(email: string, ip: string): Promise<void> {
    await this.perAccountAndIp.delete(`${email}|${ip}`);
    await this.perAccount.reward(email, 1);
  }

  private limited(res: RateLimiterRes): AppError {
    const seconds = Math.ceil(res.msBeforeNext / 1000);
    return new AppError('ERR_RATE_LIMITED', `too many login attempts, retry in ${seconds}s`);
  }
}
