import type { AuditVerifyResult } from '@rc/contracts';
import { auditEventHash, GENESIS_HASH } from './hash';

/** A stored row, as read by any SQL client (the verifier does not trust the ORM). */
export interface StoredAuditRow {
  id: string;
  tenant_id: string;
  seq: string | number;
  actor_kind: string;
  actor_id: string | null;
  actor_label: string;
  role: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  outcome: string;
  reason: string | null;
  details: Record<string, unknown>;
  request_id: string | null;
  trace_id: string | null;
  occurred_at: Date;
  prev_hash: string;
  hash: string;
}

export const AUDIT_ROWS_SQL = `select * from audit_events where tenant_id = $1 order by seq asc`;

/**
 * Walks the chain in order and names the first event whose sequence, link or hash is wrong.
 * Works on rows from any source, so an auditor can run it offline on an export.
 */
export function verifyAuditChain(rows: Iterable<StoredAuditRow>): AuditVerifyResult {
  let expectedPrev = GENESIS_HASH;
  let expectedSeq = 1;
  let checked = 0;
  for (const row of rows) {
    const seq = Number(row.seq);
    const broken = (problem: string): AuditVerifyResult => ({
      ok: false,
      checked,
      firstBrokenSeq: seq,
      firstBrokenId: row.id,
      problem,
    });
    if (seq !== expectedSeq)
      return broken(`expected sequence ${expectedSeq}, found ${seq} (event missing or inserted)`);
    if (row.prev_hash !== expectedPrev)
      return broken('previous-hash link does not match the preceding event');
    const recomputed = auditEventHash({
      id: row.id,
      tenantId: row.tenant_id,
      seq,
      actorKind: row.actor_kind,
      actorId: row.actor_id,
      actorLabel: row.actor_label,
      role: row.role,
      action: row.action,
      resourceType: row.resource_type,
      resourceId: row.resource_id,
      outcome: row.outcome,
      reason: row.reason,
      details: row.details,
      requestId: row.request_id,
      traceId: row.trace_id,
      occurredAt: new Date(row.occurred_at),
      prevHash: row.prev_hash,
    });
    if (recomputed !== row.hash) return broken('content does not match its hash (event was modified)');
    expectedPrev = row.hash;
    expectedSeq = seq + 1;
    checked += 1;
  }
  return { ok: true, checked, firstBrokenSeq: null, firstBrokenId: null, problem: null };
}
