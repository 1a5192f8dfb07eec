import type { EntityManager } from '@mikro-orm/postgresql';
import { integrationAvailabilityFlagKey, OFREP_VARIANTS, type OfrepEvaluationSuccess } from '@rc/contracts';
import { inRequestTenant } from '../db/request-tenant';
import { FeatureSchema, IntegrationSchema, type Feature, type Integration } from '../catalog/entities';
import { MitigationSchema } from '../mitigations/entities';
import { ModuleSchema, type Module } from '../modules/entities';
import type { TenantRequest } from '../trpc/context';

/*
 * The effective state applications obey, as OpenFeature boolean flags:
 * - a feature is on when its `enabled` is true and, if it is not critical, its module is not in
 *   degraded mode. Degraded mode writes `enabled` itself (keeping a snapshot to restore); the
 *   second condition makes the answer right from the moment the mitigation is active, whatever
 *   the order of those writes. `degradedMode` in the metadata tells why a feature is off.
 * - `integration.<name>.available` is true only while the integration's breaker is closed
 *   (open and half-open both mean "do not call it": half-open lets the breaker's own probe through).
 *
 * The value is always explicit, so the reason is STATIC for both on and off: DISABLED means, in
 * OpenFeature, "the flag itself is disabled, use the code default", which is not what happens here.
 * Features of archived modules are not served (the module no longer runs; callers get
 * FLAG_NOT_FOUND and fall back to their default). An integration's flag takes precedence over a
 * feature that would happen to carry the same key.
 */

const INTEGRATION_FLAG = /^integration\.([a-z0-9][a-z0-9-]{0,62})\.available$/;

function featureFlag(feature: Feature, module: Module, degraded: boolean): OfrepEvaluationSuccess {
  const on = feature.enabled && (feature.critical || !degraded);
  return {
    key: feature.key,
    value: on,
    reason: 'STATIC',
    variant: on ? OFREP_VARIANTS.on : OFREP_VARIANTS.off,
    metadata: { module: module.name, critical: feature.critical, degradedMode: degraded },
  };
}

function integrationFlag(integration: Integration): OfrepEvaluationSuccess {
  const available = integration.breakerState === 'closed';
  return {
    key: integrationAvailabilityFlagKey(integration.name),
    value: available,
    reason: 'STATIC',
    variant: available ? OFREP_VARIANTS.on : OFREP_VARIANTS.off,
    metadata: { integration: integration.name, breakerState: integration.breakerState },
  };
}

/** Modules under degraded mode right now (an active degraded-mode mitigation targets them). */
async function degradedModuleIds(em: EntityManager, tenantId: string, moduleId?: string) {
  const rows = await em.find(MitigationSchema, {
    tenantId,
    kind: 'degraded_mode',
    status: 'active',
    ...(moduleId ? { targetId: moduleId } : {}),
  });
  return new Set(rows.map((row) => row.targetId));
}

function canReadIntegrations(request: TenantRequest): boolean {
  return request.ability.can('read', 'Integration');
}

/** Every flag of the caller's tenant, sorted by key, read in one tenant transaction. */
export function evaluateAllFlags(request: TenantRequest): Promise<OfrepEvaluationSuccess[]> {
  const { tenantId } = request;
  return inRequestTenant(request, async (em) => {
    const modules = await em.find(ModuleSchema, { tenantId, status: 'active' });
    const activeModules = new Map(modules.map((module) => [module.id, module]));
    const features = await em.find(FeatureSchema, { tenantId });
    const degraded = await degradedModuleIds(em, tenantId);
    const integrations = canReadIntegrations(request) ? await em.find(IntegrationSchema, { tenantId }) : [];

    const flags = new Map<string, OfrepEvaluationSuccess>();
    for (const feature of features) {
      const module = activeModules.get(feature.moduleId);
      if (module) flags.set(feature.key, featureFlag(feature, module, degraded.has(module.id)));
    }
    for (const integration of integrations) {
      const flag = integrationFlag(integration);
      flags.set(flag.key, flag);
    }
    return [...flags.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  });
}

/** One flag of the caller's tenant, or null when the tenant has no such flag. */
export function evaluateFlag(request: TenantRequest, key: string): Promise<OfrepEvaluationSuccess | null> {
  const { tenantId } = request;
  return inRequestTenant(request, async (em) => {
    const integrationName = INTEGRATION_FLAG.exec(key)?.[1];
    if (integrationName !== undefined && canReadIntegrations(request)) {
      const integration = await em.findOne(IntegrationSchema, { tenantId, name: integrationName });
      if (integration) return integrationFlag(integration);
    }
    const feature = await em.findOne(FeatureSchema, { tenantId, key });
    if (!feature) return null;
    const module = await em.findOne(ModuleSchema, { tenantId, id: feature.moduleId, status: 'active' });
    if (!module) return null;
    const degraded = await degradedModuleIds(em, tenantId, module.id);
    return featureFlag(feature, module, degraded.has(module.id));
  });
}
