import { EntitySchema } from '@mikro-orm/core';
import { TENANT_FILTER } from '../db/tenant-filter';
import type { Role } from '@rc/contracts';

export interface ApiToken {
  id: string;
  tenantId: string;
  name: string;
  role: Role;
  /** First characters of the secret, shown in lists so people can tell tokens apart. */
  prefix: string;
  secretHash: string;
  createdBy: string;
  createdAt: Date;
  expiresAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}
export const ApiTokenSchema = new EntitySchema<ApiToken>({
  name: 'ApiToken',
  tableName: 'api_tokens',
  filters: TENANT_FILTER,
  properties: {
    id: { type: 'uuid', primary: true },
    tenantId: { type: 'uuid' },
    name: { type: 'string' },
    role: { type: 'string' },
    prefix: { type: 'string' },
    secretHash: { type: 'string', hidden: true },
    createdBy: { type: 'uuid' },
    createdAt: { type: 'Date', onCreate: () => new Date() },
    expiresAt: { type: 'Date' },
    lastUsedAt: { type: 'Date', nullable: true },
    revokedAt: { type: 'Date', nullable: true },
  },
});
