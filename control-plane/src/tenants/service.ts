import { rulesFor, type MemberView, type Role } from '@rc/contracts';
import { inRequestTenant } from '../db/request-tenant';
import type { TenantRequest } from '../trpc/context';

export function listMembers(request: TenantRequest): Promise<MemberView[]> {
  return inRequestTenant(request, async (em) => {
    const rows = await em.execute<
      Array<{ user_id: string; email: string; display_name: string; role: Role }>
    >(
      `select m.user_id, u.email, u.display_name, m.role
         from memberships m join users u on u.id = m.user_id
        where m.tenant_id = ? order by u.email`,
      [request.tenantId],
    );
    return rows.map((r) => ({
      userId: r.user_id,
      email: r.email,
      displayName: r.display_name,
      role: r.role,
    }));
  });
}

/** The caller's tenant, role and CASL rules: the console renders its buttons from these. */
export function currentTenant(request: TenantRequest) {
  return {
    tenantId: request.tenantId,
    tenantSlug: request.tenantSlug,
    role: request.actor.role,
    actor: { kind: request.actor.kind, id: request.actor.id, label: request.actor.label },
    rules: rulesFor({ userId: request.actor.id, role: request.actor.role }),
  };
}
