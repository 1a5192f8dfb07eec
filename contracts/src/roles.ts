/** A member's role inside one tenant. A user may hold a different role in each tenant. */
export const ROLES = ['tenant_admin', 'operator', 'security_reviewer', 'auditor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Roles an API token may hold. Never security_reviewer: approvals are made by people. A tenant
 * admin may mint any of these (they manage the members, so an operator token for the alerting
 * that triggers level-1 mitigations gives nobody more than the admin could already grant).
 */
export const TOKEN_ROLES = [
  'tenant_admin',
  'operator',
  'auditor',
  'viewer',
] as const satisfies readonly Role[];

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  tenant_admin: 'Manages modules, members and API tokens; sees blast radius; reads the audit log.',
  operator: 'On-call: runs level-1 mitigations and diagnostics; reads modules and the audit log.',
  security_reviewer: 'Reviews and approves Patch Plans written by someone else; reads the audit log.',
  auditor: 'Reads, exports and verifies the audit log; reads everything, changes nothing.',
  viewer: 'Reads modules and their health.',
};
