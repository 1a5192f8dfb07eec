import { describe, expect, it } from 'vitest';
import { parseTrustProxy } from './trust-proxy';

describe('TRUST_PROXY', () => {
  it('unset or empty trusts no proxy: the client address is the socket peer', () => {
    expect(parseTrustProxy(undefined)).toBe(false);
    expect(parseTrustProxy('  ')).toBe(false);
  });

  it('takes a list of proxy addresses and CIDR ranges', () => {
    expect(parseTrustProxy('10.0.0.0/8, 192.168.1.7,::1,fd00::/8,loopback')).toEqual([
      '10.0.0.0/8',
      '192.168.1.7',
      '::1',
      'fd00::/8',
      'loopback',
    ]);
    expect(parseTrustProxy('10.0.0.0/255.0.0.0')).toEqual(['10.0.0.0/255.0.0.0']);
  });

  it('refuses to trust X-Forwarded-For from anyone, and hop counts fastify would ignore', () => {
    expect(() => parseTrustProxy('true')).toThrow(/from any client/);
    expect(() => parseTrustProxy('*')).toThrow(/from any client/);
    expect(() => parseTrustProxy('2')).toThrow(/hop counts/);
  });

  it('refuses entries that are not an address or range, naming them', () => {
    expect(() => parseTrustProxy('10.0.0.0/8,proxy.internal')).toThrow(/proxy\.internal/);
    expect(() => parseTrustProxy('10.0.0.0/33')).toThrow(/10\.0\.0\.0\/33/);
    expect(() => parseTrustProxy('10.0.0.1/8/8')).toThrow(/not an IP address/);
  });
});
