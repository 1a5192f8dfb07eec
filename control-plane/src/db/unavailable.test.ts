import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from './unavailable';

function withCode(message: string, code: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { code, ...extra });
}

describe('telling an unreachable database from a bug', () => {
  it.each([
    ['the port refuses connections', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['PostgreSQL is shutting down', withCode('terminating connection due to administrator command', '57P01')],
    ['PostgreSQL is starting up', withCode('the database system is starting up', '57P03')],
    ['too many connections', withCode('sorry, too many clients already', '53300')],
    ['the commit outcome is unknown', withCode('transaction resolution unknown', '08007')],
    ['the connection dropped under a query', new Error('Connection terminated unexpectedly')],
    ['no connection could be made in time', new Error('timeout exceeded when trying to connect')],
    ['DNS fails during a failover', withCode('getaddrinfo EAI_AGAIN db', 'EAI_AGAIN')],
    [
      'the ORM pool gave up',
      Object.assign(new Error('Knex: Timeout acquiring a connection'), { name: 'KnexTimeoutError' }),
    ],
    [
      'wrapped by the ORM',
      new Error('select 1 - connect ECONNREFUSED', { cause: withCode('x', 'ECONNREFUSED') }),
    ],
    [
      'every address of a host refused',
      new AggregateError([withCode('a', 'ECONNREFUSED'), withCode('b', 'ECONNREFUSED')], 'connect failed'),
    ],
  ])('unavailable: %s', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    [
      'a protocol violation our code caused (bad bind)',
      withCode('bind message supplies 1 parameters, but prepared statement requires 2', '08P01'),
    ],
    ['a client used after release', new Error('Client was closed and is not queryable')],
    ['a unique violation', withCode('duplicate key value violates unique constraint', '23505')],
    ['a permission error', withCode('permission denied for table users', '42501')],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['not an error at all', 'ECONNREFUSED'],
  ])('not unavailable: %s', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
