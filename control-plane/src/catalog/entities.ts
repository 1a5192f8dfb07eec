import { EntitySchema } from '@mikro-orm/core';
import { TENANT_FILTER } from '../db/tenant-filter';

/** A feature flag a module exposes; applications read its effective state through OFREP. */
export interface Feature {
  id: string;
  tenantId: string;
  moduleId: string;
  key: string;
  description: string;
  critical: boolean;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}
export const FeatureSchema = new EntitySchema<Feature>({
  name: 'Feature',
  tableName: 'features',
  filters: TENANT_FILTER,
  properties: {
    id: { type: 'uuid', primary: true },
    tenantId: { type: 'uuid' },
    moduleId: { type: 'uuid' },
    key: { type: 'string' },
    description: { type: 'string' },
    critical: { type: 'boolean' },
    enabled: { type: 'boolean' },
    createdAt: { type: 'Date', onCreate: () => new Date() },
    updatedAt: { type: 'Date', onCreate: () => new Date(), onUpdate: () => new Date() },
  },
});

/** `moduleId` depends on `dependsOnId` (e.g. ocr → storage). */
export interface ModuleDependency {
  tenantId: string;
  moduleId: string;
  dependsOnId: string;
}
export const ModuleDependencySchema = new EntitySchema<ModuleDependency>({
  name: 'ModuleDependency',
  tableName: 'module_dependencies',
  filters: TENANT_FILTER,
  properties: {
    tenantId: { type: 'uuid', primary: true },
    moduleId: { type: 'uuid', primary: true },
    dependsOnId: { type: 'uuid', primary: true },
  },
});

/** An external system modules call (e.g. payment-provider), guarded by a circuit breaker. */
export interface Integration {
  id: string;
  tenantId: string;
  name: string;
  healthUrl: string;
  breakerState: 'closed' | 'open' | 'half_open';
  breakerReason: string | null;
  breakerChangedAt: Date | null;
  createdAt: Date;
}
export const IntegrationSchema = new EntitySchema<Integration>({
  name: 'Integration',
  tableName: 'integrations',
  filters: TENANT_FILTER,
  properties: {
    id: { type: 'uuid', primary: true },
    tenantId: { type: 'uuid' },
    name: { type: 'string' },
    healthUrl: { type: 'string' },
    breakerState: { type: 'string' },
    breakerReason: { type: 'string', nullable: true },
    breakerChangedAt: { type: 'Date', nullable: true },
    createdAt: { type: 'Date', onCreate: () => new Date() },
  },
});

export interface ModuleIntegration {
  tenantId: string;
  moduleId: string;
  integrationId: string;
}
export const ModuleIntegrationSchema = new EntitySchema<ModuleIntegration>({
  name: 'ModuleIntegration',
  tableName: 'module_integrations',
  filters: TENANT_FILTER,
  properties: {
    tenantId: { type: 'uuid', primary: true },
    moduleId: { type: 'uuid', primary: true },
    integrationId: { type: 'uuid', primary: true },
  },
});
