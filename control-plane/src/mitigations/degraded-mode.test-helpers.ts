/** What the degraded-mode tests share: arranging a module, reading flags, rows and audit as the owner. */
import { randomBytes, randomUUID } from 'node:crypto';
import { defineAbilityFor, type Role } from '@rc/contracts';
import type { TenantRequest, AppDeps } from '../trpc/context';
import type { TestTenant } from '../testing/test-control-plane';
import { waitFor } from '../testing/wait-for';

/** Runs SQL as the database owner (bypasses RLS). */
export type OwnerQuery = <T extends Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>;

export interface FeatureSpec {
  key: string;
  critical: boolean;
  enabled: boolean;
}

/**
 * One feature of each kind, keys prefixed: critical (stays on), non-critical on (goes off),
 * non-critical already off (stays off, and off again after the restore).
 */
export function featuresOfEachKind(prefix: string): FeatureSpec[] {
  return [
    { key: `${prefix}.core`, critical: true, enabled: true },
    { key: `${prefix}.suggest`, critical: false, enabled: true },
    { key: `${prefix}.beta`, critical: false, enabled: false },
  ];
}

/** The flags of `featuresOfEachKind(prefix)` before degraded mode (and after the restore). */
export function originalFlags(prefix: string): Record<string, boolean> {
  return { [`${prefix}.beta`]: false, [`${prefix}.core`]: true, [`${prefix}.suggest`]: true };
}

/** The flags of `featuresOfEachKind(prefix)` while degraded: only the non-critical one that was on is off. */
export function degradedFlags(prefix: string): Record<string, boolean> {
  return { ...originalFlags(prefix), [`${prefix}.suggest`]: false };
}

/** A module of its own for one test, with the given features, arranged as the owner. */
export async function arrangeModule(
  ownerQuery: OwnerQuery,
  tenant: TestTenant,
  name: string,
  features: FeatureSpec[],
): Promise<string> {
  const id = randomUUID();
  await ownerQuery(
    `insert into modules (id, tenant_id, name, owner_team, criticality) values ($1, $2, $3, 'sre', 'non_critical')`,
    [id, tenant.tenantId, name],
  );
  for (const feature of features) {
    await ownerQuery(
      `insert into features (id, tenant_id, module_id, key, critical, enabled) values ($1, $2, $3, $4, $5, $6)`,
      [randomUUID(), tenant.tenantId, id, feature.key, feature.critical, feature.enabled],
    );
  }
  return id;
}

/** key → enabled, as stored right now. */
export async function flagsOf(ownerQuery: OwnerQuery, moduleId: string): Promise<Record<string, boolean>> {
  const rows = await ownerQuery<{ key: string; enabled: boolean }>(
    'select key, enabled from features where module_id = $1 order by key',
    [moduleId],
  );
  return Object.fromEntries(rows.map((r) => [r.key, r.enabled]));
}

export interface MitigationRow extends Record<string, unknown> {
  id: string;
  status: 'active' | 'ended';
  snapshot: Record<string, unknown>;
  trace_id: string | null;
  requested_by: string;
  ends_at: Date | null;
  ended_at: Date | null;
  end_reason: string | null;
}

export function mitigationsOf(ownerQuery: OwnerQuery, moduleId: string): Promise<MitigationRow[]> {
  return ownerQuery<MitigationRow>(
    `select * from mitigations where kind = 'degraded_mode' and target_id = $1 order by started_at`,
    [moduleId],
  );
}

export interface AuditRow extends Record<string, unknown> {
  action: string;
  actor_kind: string;
  actor_id: string | null;
  actor_label: string;
  role: string | null;
  outcome: string;
  reason: string | null;
  details: Record<string, unknown>;
  request_id: string | null;
  trace_id: string | null;
}

/** Waits until the module's first degraded mode has ended (restored), and answers its row. */
export function waitForEndedMitigation(
  ownerQuery: OwnerQuery,
  moduleId: string,
  what: string,
  timeoutMs?: number,
): Promise<MitigationRow> {
  return waitFor(
    what,
    async () => {
      const [first] = await mitigationsOf(ownerQuery, moduleId);
      return first?.status === 'ended' ? first : undefined;
    },
    timeoutMs,
  );
}

/** The audit events about one mitigation, in chain order. */
export function auditOf(ownerQuery: OwnerQuery, mitigationId: string): Promise<AuditRow[]> {
  return ownerQuery<AuditRow>('select * from audit_events where resource_id = $1 order by seq', [
    mitigationId,
  ]);
}

/**
 * A tenant request as the member of `tenant` holding `role`, for calling the service directly
 * (with a duration in seconds rather than the API's minutes). Fresh request and trace ids.
 */
export function memberRequest(deps: AppDeps, tenant: TestTenant, role: Role): TenantRequest {
  const email = tenant.emails[role];
  const userId = tenant.users[email];
  if (!userId) throw new Error(`no ${role} in ${tenant.slug}`);
  return {
    deps,
    tenantId: tenant.tenantId,
    tenantSlug: tenant.slug,
    actor: { kind: 'user', id: userId, label: email, role, userId },
    ability: defineAbilityFor({ userId, role }),
    requestId: randomUUID(),
    traceId: randomBytes(16).toString('hex'),
  };
}
