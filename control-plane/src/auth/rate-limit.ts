import type { MikroORM } from '@mikro-orm/postgresql';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../errors';

/**
 * Login throttling, stored in PostgreSQL so every replica agrees:
 * failed attempts per (account, address), and all attempts per address.
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
    };
    this.perAccountAndIp = new RateLimiterPostgres({
      ...common,
      keyPrefix: 'login_fail',
      points: 5,
      duration: 15 * 60,
    });
    this.perIp = new RateLimiterPostgres({
      ...common,
      keyPrefix: 'login_ip',
      points: 100,
      duration: 15 * 60,
    });
  }

  /** Counts an attempt and refuses (429) once either limit is used up. */
  async beforeAttempt(email: string, ip: string): Promise<void> {
    const failures = await this.perAccountAndIp.get(`${email}|${ip}`);
    if (failures && failures.consumedPoints >= 5) throw this.limited(failures);
    try {
      await this.perIp.consume(ip);
    } catch (error) {
      if (error instanceof RateLimiterRes) throw this.limited(error);
      throw error;
    }
  }

  async recordFailure(email: string, ip: string): Promise<void> {
    await this.perAccountAndIp.penalty(`${email}|${ip}`, 1);
  }

  async recordSuccess(email: string, ip: string): Promise<void> {
    await this.perAccountAndIp.delete(`${email}|${ip}`);
  }

  private limited(res: RateLimiterRes): AppError {
    const seconds = Math.ceil(res.msBeforeNext / 1000);
    return new AppError('ERR_RATE_LIMITED', `too many login attempts, retry in ${seconds}s`);
  }
}
