import { z } from 'zod';
import { ShortText, Text } from './common';

export const AUDIT_OUTCOMES = ['success', 'denied', 'failure'] as const;
export const ACTOR_KINDS = ['user', 'api_token', 'system'] as const;

/** The shape every audit event has, stored and returned. */
export const AuditEventView = z.object({
  id: z.uuid(),
  seq: z.number().int(),
  tenantId: z.uuid(),
  actorKind: z.enum(ACTOR_KINDS),
  actorId: z.string().nullable(),
  actorLabel: z.string(),
  role: z.string().nullable(),
  action: z.string(),
  resourceType: z.string(),
  resourceId: z.string().nullable(),
  outcome: z.enum(AUDIT_OUTCOMES),
  reason: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  requestId: z.string().nullable(),
  traceId: z.string().nullable(),
  occurredAt: z.string(),
  prevHash: z.string(),
  hash: z.string(),
});
export type AuditEventView = z.infer<typeof AuditEventView>;

export const ListAuditEventsInput = z
  .strictObject({
    limit: z.number().int().min(1).max(200).default(50),
    /** Return events with seq lower than this (newest first pagination). */
    beforeSeq: z.number().int().min(1).optional(),
    action: ShortText.optional(),
    actorId: Text({ min: 1, max: 100 }).optional(),
  })
  .default({ limit: 50 });
export type ListAuditEventsInput = z.infer<typeof ListAuditEventsInput>;

export const AuditVerifyResult = z.object({
  ok: z.boolean(),
  checked: z.number().int(),
  firstBrokenSeq: z.number().int().nullable(),
  firstBrokenId: z.string().nullable(),
  problem: z.string().nullable(),
});
export type AuditVerifyResult = z.infer<typeof AuditVerifyResult>;
