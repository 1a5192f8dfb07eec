import { randomUUID } from 'node:crypto';
import {
  defineAbilityFor,
  ROLES,
  TOKEN_ROLES,
  type Action,
  type Role,
  type SubjectName,
} from '@rc/contracts';
import { API_TOKEN_PREFIX } from '../auth/authenticate';
import { newSecret, secretHash } from '../auth/secrets';
import type { ApiClient } from './api-client';
import { TEST_PASSWORD, type TestControlPlane, type TestTenant } from './test-control-plane';

type Permission = { action: Action; subject: SubjectName } | undefined;

function holds(role: Role, permission: NonNullable<Permission>): boolean {
  return defineAbilityFor({ userId: 'probe', role }).can(permission.action, permission.subject);
}

/**
 * The role a caller needs so that the permission check passes and the procedure's own
 * handling (input, tenant scoping) is what gets judged. Procedures without a permission
 * (public, user-scoped) use the tenant admin. `null` for a token when no token role holds it.
 */
export function roleHolding(permission: Permission, kind: 'session' | 'token' = 'session'): Role | null {
  if (!permission) return 'tenant_admin';
  return (kind === 'token' ? TOKEN_ROLES : ROLES).find((role) => holds(role, permission)) ?? null;
}

/**
 * The members of one tenant, as clients made on first use and reused: a signed-in person per
 * role, and an API token per role. Tokens are arranged directly in the database (as the owner),
 * so that making one never goes through (or is counted by) the procedures under test.
 */
export function membersOf(cp: TestControlPlane, tenant: TestTenant) {
  const sessions = new Map<Role, ApiClient>();
  const tokens = new Map<Role, ApiClient>();
  return {
    async session(role: Role): Promise<ApiClient> {
      let client = sessions.get(role);
      if (!client) {
        client = await cp.signedIn(tenant, role);
        sessions.set(role, client);
      }
      return client;
    },
    /** Signs the member in again (after a walker called `auth.logout` with their session). */
    async relogin(role: Role): Promise<void> {
      await sessions.get(role)?.login(tenant.emails[role], TEST_PASSWORD);
    },
    async token(role: Role): Promise<ApiClient> {
      let client = tokens.get(role);
      if (!client) {
        const secret = newSecret(API_TOKEN_PREFIX);
        const createdBy = tenant.users[tenant.emails.tenant_admin]!;
        await cp.ownerQuery(
          `insert into api_tokens (id, tenant_id, name, role, prefix, secret_hash, created_by, expires_at)
           values ($1, $2, $3, $4, $5, $6, $7, now() + interval '1 day')`,
          [
            randomUUID(),
            tenant.tenantId,
            `test ${role} token`,
            role,
            secret.slice(0, API_TOKEN_PREFIX.length + 6),
            secretHash(cp.config.sessionSecret, secret),
            createdBy,
          ],
        );
        client = cp.anonymous();
        client.tenant = tenant.slug;
        client.bearer = secret;
        tokens.set(role, client);
      }
      return client;
    },
  };
}
