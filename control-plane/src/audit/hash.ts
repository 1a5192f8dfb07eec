import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

export const GENESIS_HASH = '0'.repeat(64);

/** The fields an event's hash covers: everything but the hash itself. */
export interface HashedAuditFields {
  id: string;
  tenantId: string;
  seq: number;
  actorKind: string;
  actorId: string | null;
  actorLabel: string;
  role: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  outcome: string;
  reason: string | null;
  details: Record<string, unknown>;
  requestId: string | null;
  traceId: string | null;
  occurredAt: Date;
  prevHash: string;
}

/** SHA-256 over the RFC 8785 canonical JSON of the event, so any verifier can recompute it. */
export function auditEventHash(fields: HashedAuditFields): string {
  const canonical = canonicalize({ ...fields, occurredAt: fields.occurredAt.toISOString() });
  if (canonical === undefined) throw new Error('audit event cannot be serialised');
  return createHash('sha256').update(canonical).digest('hex');
}
