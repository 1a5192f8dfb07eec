import type { EntitySchemaMetadata } from '@mikro-orm/core';

type FilterDefs = NonNullable<EntitySchemaMetadata<unknown>['filters']>;

/**
 * The ORM-level tenant filter every tenant-owned entity declares. On by default, so a query
 * made without a tenant fails ("no arguments provided for filter tenant") instead of reading everything.
 */
export const TENANT_FILTER: FilterDefs = {
  tenant: {
    name: 'tenant',
    cond: (args: { tenantId: string }) => ({ tenantId: args.tenantId }),
    default: true,
  },
};
