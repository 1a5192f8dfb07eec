import { createHmac, randomBytes } from 'node:crypto';

/** A random bearer secret (session cookie or API token), 256 bits, URL-safe. */
export function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/**
 * What is stored instead of a bearer secret: HMAC-SHA256 keyed with the server secret,
 * so a database dump alone cannot be used to forge or confirm a token.
 */
export function secretHash(serverSecret: string, secret: string): string {
  return createHmac('sha256', serverSecret).update(secret).digest('hex');
}
