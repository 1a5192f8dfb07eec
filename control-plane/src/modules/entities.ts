import { EntitySchema } from '@mikro-orm/core';
import { TENANT_FILTER } from '../db/tenant-filter';

export interface Module {
  id: string;
  tenantId: string;
  name: string;
  ownerTeam: string;
  criticality: 'critical' | 'non_critical';
  description: string;
  status: 'active' | 'archived';
  createdAt: Date;
  updatedAt: Date;
}
export const ModuleSchema = new EntitySchema<Module>({
  name: 'Module',
  tableName: 'modules',
  filters: TENANT_FILTER,
  properties: {
    id: { type: 'uuid', primary: true },
    tenantId: { type: 'uuid' },
    name: { type: 'string' },
    ownerTeam: { type: 'string' },
    criticality: { type: 'string' },
    description: { type: 'string' },
    status: { type: 'string' },
    createdAt: { type: 'Date', onCreate: () => new Date() },
    updatedAt: { type: 'Date', onCreate: () => new Date(), onUpdate: () => new Date() },
  },
});
