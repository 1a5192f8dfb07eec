import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type {
  BlastRadius,
  CatalogGraph,
  CreateFeatureInput,
  CreateIntegrationInput,
  FeatureView,
  IntegrationView,
  SetModuleDependenciesInput,
  UpdateFeatureInput,
} from '@rc/contracts';
import { recordAudit } from '../audit/record';
import { inRequestTenant } from '../db/request-tenant';
import { alreadyExistsOr, AppError, notFound } from '../errors';
import { ModuleSchema, type Module } from '../modules/entities';
import { toModuleView } from '../modules/service';
import type { TenantRequest } from '../trpc/context';
import {
  FeatureSchema,
  IntegrationSchema,
  ModuleDependencySchema,
  ModuleIntegrationSchema,
  type Feature,
  type Integration,
} from './entities';
import { describePath, findCycleThrough, transitiveDependents, withOutgoingEdges, type Edge } from './graph';

/*
 * The catalog graph is made of active modules only: an archived module, its features and every
 * edge touching it are out of the graph, out of blast radii and out of cycle detection
 * (archiving is final; nobody depends on a module that no longer runs).
 */

export function toFeatureView(feature: Feature): FeatureView {
  return {
    id: feature.id,
    moduleId: feature.moduleId,
    key: feature.key,
    description: feature.description,
    critical: feature.critical,
    enabled: feature.enabled,
  };
}

export function toIntegrationView(integration: Integration): IntegrationView {
  return {
    id: integration.id,
    name: integration.name,
    healthUrl: integration.healthUrl,
    breakerState: integration.breakerState,
    breakerReason: integration.breakerReason,
    breakerChangedAt: integration.breakerChangedAt?.toISOString() ?? null,
  };
}

/** Everything the graph is built from, read in the caller's tenant transaction. */
async function loadCatalogRows(em: EntityManager, tenantId: string) {
  const modules = await em.find(ModuleSchema, { tenantId, status: 'active' }, { orderBy: { name: 'asc' } });
  const edges = await em.find(ModuleDependencySchema, { tenantId });
  const links = await em.find(ModuleIntegrationSchema, { tenantId });
  const active = new Map(modules.map((m) => [m.id, m]));
  return {
    modules,
    active,
    /** module → module it depends on, both active */
    edges: edges
      .filter((e) => active.has(e.moduleId) && active.has(e.dependsOnId))
      .map((e): Edge => ({ from: e.moduleId, to: e.dependsOnId })),
    links: links.filter((l) => active.has(l.moduleId)),
  };
}

/** The tenant's whole catalog: modules, their features, integrations and both kinds of edges. */
export async function loadCatalogGraph(em: EntityManager, tenantId: string): Promise<CatalogGraph> {
  const { modules, active, edges, links } = await loadCatalogRows(em, tenantId);
  const features = await em.find(FeatureSchema, { tenantId }, { orderBy: { key: 'asc' } });
  const integrations = await em.find(IntegrationSchema, { tenantId }, { orderBy: { name: 'asc' } });
  const byName = (a: string, b: string) => active.get(a)!.name.localeCompare(active.get(b)!.name);
  return {
    modules: modules.map(toModuleView),
    features: features.filter((f) => active.has(f.moduleId)).map(toFeatureView),
    integrations: integrations.map(toIntegrationView),
    dependencies: edges
      .sort((a, b) => byName(a.from, b.from) || byName(a.to, b.to))
      .map((e) => ({ moduleId: e.from, dependsOnId: e.to })),
    integrationLinks: links
      .sort((a, b) => byName(a.moduleId, b.moduleId) || a.integrationId.localeCompare(b.integrationId))
      .map((l) => ({ moduleId: l.moduleId, integrationId: l.integrationId })),
  };
}

/**
 * What acting on a module touches: the active modules that depend on it (transitively, with
 * depth and path), the features degraded mode would switch off (its non-critical features that
 * are on now) and those it leaves alone, and the integrations the module calls.
 * `em` must already be in a transaction of `tenantId` (reused by degraded mode and the console).
 */
export async function loadBlastRadius(
  em: EntityManager,
  tenantId: string,
  moduleId: string,
): Promise<BlastRadius> {
  const module = await em.findOne(ModuleSchema, { id: moduleId, tenantId });
  if (!module) throw notFound('module');
  const { active, edges } = await loadCatalogRows(em, tenantId);
  const features = await em.find(FeatureSchema, { tenantId, moduleId }, { orderBy: { key: 'asc' } });
  const links = await em.find(ModuleIntegrationSchema, { tenantId, moduleId });
  const integrations = links.length
    ? await em.find(
        IntegrationSchema,
        { tenantId, id: { $in: links.map((l) => l.integrationId) } },
        { orderBy: { name: 'asc' } },
      )
    : [];
  const nameOf = (id: string) => (id === module.id ? module.name : active.get(id)!.name);
  const switchedOff = (f: Feature) => !f.critical && f.enabled;
  return {
    module: toModuleView(module),
    dependents: transitiveDependents(edges, module.id)
      .map((d) => {
        const dependent = active.get(d.id)!;
        return {
          id: dependent.id,
          name: dependent.name,
          criticality: dependent.criticality,
          depth: d.depth,
          path: d.path.map(nameOf),
        };
      })
      .sort((a, b) => a.depth - b.depth || a.name.localeCompare(b.name)),
    featuresSwitchedOff: features.filter(switchedOff).map(toFeatureView),
    featuresUnchanged: features.filter((f) => !switchedOff(f)).map(toFeatureView),
    integrations: integrations.map(toIntegrationView),
  };
}

export function getCatalogGraph(request: TenantRequest): Promise<CatalogGraph> {
  return inRequestTenant(request, (em) => loadCatalogGraph(em, request.tenantId));
}

export function getBlastRadius(request: TenantRequest, moduleId: string): Promise<BlastRadius> {
  return inRequestTenant(request, (em) => loadBlastRadius(em, request.tenantId, moduleId));
}

/** A module of the caller's tenant that can still be changed (404 when unknown, 409 when archived). */
async function activeModule(em: EntityManager, tenantId: string, id: string): Promise<Module> {
  const module = await em.findOne(ModuleSchema, { id, tenantId });
  if (!module) throw notFound('module');
  if (module.status === 'archived') throw new AppError('ERR_CONFLICT', `module ${module.name} is archived`);
  return module;
}

export function listFeatures(request: TenantRequest, moduleId: string | undefined): Promise<FeatureView[]> {
  return inRequestTenant(request, async (em) => {
    // Naming a module that is not ours answers not-found, never an empty list.
    if (moduleId && !(await em.findOne(ModuleSchema, { id: moduleId, tenantId: request.tenantId })))
      throw notFound('module');
    const features = await em.find(
      FeatureSchema,
      { tenantId: request.tenantId, ...(moduleId ? { moduleId } : {}) },
      { orderBy: { key: 'asc' } },
    );
    return features.map(toFeatureView);
  });
}

export async function createFeature(request: TenantRequest, input: CreateFeatureInput): Promise<FeatureView> {
  try {
    return await inRequestTenant(request, async (em) => {
      const module = await activeModule(em, request.tenantId, input.moduleId);
      const now = new Date();
      const feature: Feature = {
        id: randomUUID(),
        tenantId: request.tenantId,
        moduleId: module.id,
        key: input.key,
        description: input.description,
        critical: input.critical,
        enabled: input.enabled,
        createdAt: now,
        updatedAt: now,
      };
      await em.insert(FeatureSchema, feature);
      await recordAudit(em, request, {
        action: 'catalog.feature.create',
        resourceType: 'Feature',
        resourceId: feature.id,
        details: {
          module: module.name,
          key: feature.key,
          critical: feature.critical,
          enabled: feature.enabled,
        },
      });
      return toFeatureView(feature);
    });
  } catch (error) {
    throw alreadyExistsOr(error, 'key', `a feature "${input.key}" already exists`);
  }
}

export function updateFeature(request: TenantRequest, input: UpdateFeatureInput): Promise<FeatureView> {
  return inRequestTenant(request, async (em) => {
    const feature = await em.findOne(FeatureSchema, { id: input.id, tenantId: request.tenantId });
    if (!feature) throw notFound('feature');
    const before = { description: feature.description, critical: feature.critical };
    if (input.description !== undefined) feature.description = input.description;
    if (input.critical !== undefined) feature.critical = input.critical;
    await em.flush();
    await recordAudit(em, request, {
      action: 'catalog.feature.update',
      resourceType: 'Feature',
      resourceId: feature.id,
      details: {
        key: feature.key,
        before,
        after: { description: feature.description, critical: feature.critical },
      },
    });
    return toFeatureView(feature);
  });
}

export function listIntegrations(request: TenantRequest): Promise<IntegrationView[]> {
  return inRequestTenant(request, async (em) => {
    const integrations = await em.find(
      IntegrationSchema,
      { tenantId: request.tenantId },
      { orderBy: { name: 'asc' } },
    );
    return integrations.map(toIntegrationView);
  });
}

export async function createIntegration(
  request: TenantRequest,
  input: CreateIntegrationInput,
): Promise<IntegrationView> {
  try {
    return await inRequestTenant(request, async (em) => {
      const integration: Integration = {
        id: randomUUID(),
        tenantId: request.tenantId,
        name: input.name,
        healthUrl: input.healthUrl,
        breakerState: 'closed',
        breakerReason: null,
        breakerChangedAt: null,
        createdAt: new Date(),
      };
      await em.insert(IntegrationSchema, integration);
      await recordAudit(em, request, {
        action: 'catalog.integration.create',
        resourceType: 'Integration',
        resourceId: integration.id,
        details: { name: integration.name, healthUrl: integration.healthUrl },
      });
      return toIntegrationView(integration);
    });
  } catch (error) {
    throw alreadyExistsOr(error, 'name', `an integration named "${input.name}" already exists`);
  }
}

/**
 * Replaces a module's outgoing module edges and integration links in one transaction.
 * Every target must be an active module / an integration of the tenant (404 otherwise); a
 * change that would close a cycle is refused with the cycle named; either way nothing changes.
 */
export function setModuleDependencies(
  request: TenantRequest,
  input: SetModuleDependenciesInput,
): Promise<CatalogGraph> {
  const { tenantId } = request;
  return inRequestTenant(request, async (em) => {
    // One writer of a tenant's graph at a time (across replicas): two concurrent changes that are
    // each acyclic cannot together close a cycle. Later statements see what the previous committed.
    await em.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [
      `catalog-dependencies:${tenantId}`,
    ]);
    const module = await activeModule(em, tenantId, input.moduleId);
    const { active, edges } = await loadCatalogRows(em, tenantId);
    const dependsOnIds = [...new Set(input.dependsOnModuleIds)];
    const integrationIds = [...new Set(input.integrationIds)];
    if (dependsOnIds.some((id) => !active.has(id))) throw notFound('module to depend on');
    const integrations = integrationIds.length
      ? await em.find(IntegrationSchema, { tenantId, id: { $in: integrationIds } })
      : [];
    if (integrations.length !== integrationIds.length) throw notFound('integration');

    const cycle = findCycleThrough(withOutgoingEdges(edges, module.id, dependsOnIds), module.id);
    if (cycle) {
      const path = describePath(cycle, (id) => active.get(id)!.name);
      throw new AppError('ERR_DEPENDENCY_CYCLE', `dependency cycle: ${path}`, {
        fieldErrors: { dependsOnModuleIds: [`would create the cycle ${path}`] },
      });
    }

    const oldEdges = await em.find(ModuleDependencySchema, { tenantId, moduleId: module.id });
    const oldLinks = await em.find(ModuleIntegrationSchema, { tenantId, moduleId: module.id });
    const oldIntegrations = oldLinks.length
      ? await em.find(IntegrationSchema, { tenantId, id: { $in: oldLinks.map((l) => l.integrationId) } })
      : [];
    const allModules = await em.find(ModuleSchema, {
      tenantId,
      id: { $in: [...new Set([...oldEdges.map((e) => e.dependsOnId), ...dependsOnIds])].concat(module.id) },
    });
    const moduleName = new Map(allModules.map((m) => [m.id, m.name]));
    const integrationName = new Map([...oldIntegrations, ...integrations].map((i) => [i.id, i.name]));
    const names = (ids: string[], of: Map<string, string>) => ids.map((id) => of.get(id) ?? id).sort();

    await em.nativeDelete(ModuleDependencySchema, { tenantId, moduleId: module.id });
    await em.nativeDelete(ModuleIntegrationSchema, { tenantId, moduleId: module.id });
    if (dependsOnIds.length)
      await em.insertMany(
        ModuleDependencySchema,
        dependsOnIds.map((dependsOnId) => ({ tenantId, moduleId: module.id, dependsOnId })),
      );
    if (integrationIds.length)
      await em.insertMany(
        ModuleIntegrationSchema,
        integrationIds.map((integrationId) => ({ tenantId, moduleId: module.id, integrationId })),
      );

    await recordAudit(em, request, {
      action: 'catalog.dependencies.set',
      resourceType: 'Module',
      resourceId: module.id,
      details: {
        module: module.name,
        before: {
          dependsOn: names(
            oldEdges.map((e) => e.dependsOnId),
            moduleName,
          ),
          integrations: names(
            oldLinks.map((l) => l.integrationId),
            integrationName,
          ),
        },
        after: {
          dependsOn: names(dependsOnIds, moduleName),
          integrations: names(integrationIds, integrationName),
        },
      },
    });
    return loadCatalogGraph(em, tenantId);
  });
}
