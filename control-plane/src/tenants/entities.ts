import { EntitySchema } from '@mikro-orm/core';
import { TENANT_FILTER } from '../db/tenant-filter';
import type { Role } from '@rc/contracts';

/** The tenant registry is global (not tenant-owned): it is how a tenant is found by slug. */
export interface Tenant {
  id: string;
  slug: string;
  name: string;
  createdAt: Date;
}
export const TenantSchema = new EntitySchema<Tenant>({
  name: 'Tenant',
  tableName: 'tenants',
  properties: {
    id: { type: 'uuid', primary: true },
    slug: { type: 'string' },
    name: { type: 'string' },
    createdAt: { type: 'Date', onCreate: () => new Date() },
  },
});

export interface Membership {
  tenantId: string;
  userId: string;
  role: Role;
  createdAt: Date;
}
export const MembershipSchema = new EntitySchema<Membership>({
  name: 'Membership',
  tableName: 'memberships',
  filters: TENANT_FILTER,
  properties: {
    tenantId: { type: 'uuid', primary: true },
    userId: { type: 'uuid', primary: true },
    role: { type: 'string' },
    createdAt: { type: 'Date', onCreate: () => new Date() },
  },
});
