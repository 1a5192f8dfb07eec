import { isIP } from 'node:net';

/** Names @fastify/proxy-addr understands for the private ranges. */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrRange(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const [address, suffix, ...rest] = entry.split('/');
  if (rest.length > 0 || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (suffix === undefined) return true;
  if (/^\d{1,3}$/.test(suffix)) return Number(suffix) <= (family === 4 ? 32 : 128);
  // IPv4 netmask form, e.g. 10.0.0.0/255.0.0.0.
  return family === 4 && isIP(suffix) === 4;
}

/**
 * Reads TRUST_PROXY: a comma-separated list of the proxies' addresses or CIDR ranges
 * (e.g. `10.0.0.0/8,192.168.1.7`), whose X-Forwarded-For is then believed; unset or empty
 * means trust nothing (the client address is the socket peer). Anything else is refused, so a
 * typo cannot silently hand the login rate limiter an address any client can choose:
 * - `true` would believe X-Forwarded-For from anyone;
 * - a hop count is ignored by fastify 5 (it cannot check that the peer is a proxy).
 */
export function parseTrustProxy(value: string | undefined): string[] | false {
  const raw = value?.trim() ?? '';
  if (raw === '') return false;
  const hint =
    'set TRUST_PROXY to the comma-separated addresses or CIDR ranges of your proxies, e.g. 10.0.0.0/8';
  if (/^(true|yes|on|\*)$/i.test(raw)) {
    throw new Error(`TRUST_PROXY=${raw} would trust X-Forwarded-For from any client: ${hint}`);
  }
  if (/^\d+$/.test(raw)) {
    throw new Error(
      `TRUST_PROXY=${raw}: fastify 5 does not honour hop counts (they cannot check the peer is a proxy): ${hint}`,
    );
  }
  const entries = raw.split(',').map((entry) => entry.trim());
  const invalid = entries.filter((entry) => !isAddressOrRange(entry));
  if (invalid.length > 0) {
    throw new Error(
      `TRUST_PROXY has entries that are not an IP address or CIDR range (${invalid.join(', ')}): ${hint}`,
    );
  }
  return entries;
}
