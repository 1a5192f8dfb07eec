/**
 * Pure functions over the catalog graph: module health as the console shows it, transitive
 * dependents (for a breaker's blast radius), and the graph's layout (dagre, top to bottom:
 * a module sits above what it depends on, integrations at the bottom).
 */
import dagre from '@dagrejs/dagre';
import type { CatalogGraph, MitigationView } from '@rc/contracts';

export type HealthLevel = 'healthy' | 'at_risk' | 'impaired' | 'degraded';

export interface ModuleHealth {
  level: HealthLevel;
  /** Plain sentences, e.g. "degraded mode since 10:02", "breaker payment-provider is open". */
  reasons: string[];
}

export const HEALTH_LABELS: Record<HealthLevel, string> = {
  healthy: 'Healthy',
  at_risk: 'At risk',
  impaired: 'Impaired',
  degraded: 'Degraded',
};

const SEVERITY: Record<HealthLevel, number> = { healthy: 0, at_risk: 1, impaired: 2, degraded: 3 };

/** Modules that depend on any of `moduleIds`, directly or transitively (the modules themselves excluded). */
export function dependentsOf(graph: CatalogGraph, moduleIds: Iterable<string>): Set<string> {
  const start = new Set(moduleIds);
  const found = new Set<string>();
  const queue = [...start];
  while (queue.length) {
    const id = queue.shift()!;
    for (const edge of graph.dependencies) {
      if (edge.dependsOnId === id && !found.has(edge.moduleId) && !start.has(edge.moduleId)) {
        found.add(edge.moduleId);
        queue.push(edge.moduleId);
      }
    }
  }
  return found;
}

/** Modules `moduleId` depends on, directly or transitively. */
function dependenciesOf(graph: CatalogGraph, moduleId: string): Set<string> {
  const found = new Set<string>();
  const queue = [moduleId];
  while (queue.length) {
    const id = queue.shift()!;
    for (const edge of graph.dependencies) {
      if (edge.moduleId === id && !found.has(edge.dependsOnId) && edge.dependsOnId !== moduleId) {
        found.add(edge.dependsOnId);
        queue.push(edge.dependsOnId);
      }
    }
  }
  return found;
}

/**
 * Health of each module, from what the control plane knows: an active degraded mode, an
 * integration whose breaker is not closed, or a module it depends on being in either state.
 */
export function moduleHealth(
  graph: CatalogGraph,
  activeMitigations: MitigationView[],
): Map<string, ModuleHealth> {
  const names = new Map(graph.modules.map((m) => [m.id, m.name]));
  const own = new Map<string, ModuleHealth>();
  for (const module of graph.modules) {
    const health: ModuleHealth = { level: 'healthy', reasons: [] };
    const degraded = activeMitigations.find(
      (m) => m.kind === 'degraded_mode' && m.targetId === module.id && m.status === 'active',
    );
    if (degraded) {
      health.level = 'degraded';
      health.reasons.push(`degraded mode: ${degraded.reason}`);
    }
    const off = graph.features.filter((f) => f.moduleId === module.id && !f.enabled);
    if (off.length) health.reasons.push(`${off.length} feature${off.length > 1 ? 's' : ''} off`);
    for (const link of graph.integrationLinks.filter((l) => l.moduleId === module.id)) {
      const integration = graph.integrations.find((i) => i.id === link.integrationId);
      if (integration && integration.breakerState !== 'closed') {
        if (SEVERITY[health.level] < SEVERITY.impaired) health.level = 'impaired';
        health.reasons.push(`breaker ${integration.name} is ${integration.breakerState.replace('_', '-')}`);
      }
    }
    own.set(module.id, health);
  }
  const result = new Map<string, ModuleHealth>();
  for (const module of graph.modules) {
    const health = own.get(module.id)!;
    const troubled = [...dependenciesOf(graph, module.id)].filter((id) => own.get(id)?.level !== 'healthy');
    const level = troubled.length && health.level === 'healthy' ? 'at_risk' : health.level;
    result.set(module.id, {
      level,
      reasons: [...health.reasons, ...troubled.map((id) => `depends on ${names.get(id) ?? id}, not healthy`)],
    });
  }
  return result;
}

export interface Positioned {
  id: string;
  x: number;
  y: number;
}

export const NODE_SIZE = { module: { width: 200, height: 64 }, integration: { width: 180, height: 44 } };

/** Top-left positions for every module and integration node (ids as in the graph). */
export function layoutCatalog(graph: CatalogGraph): Map<string, Positioned> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'TB', nodesep: 48, ranksep: 72, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const module of graph.modules) g.setNode(module.id, { ...NODE_SIZE.module });
  for (const integration of graph.integrations) g.setNode(integration.id, { ...NODE_SIZE.integration });
  for (const edge of graph.dependencies) g.setEdge(edge.moduleId, edge.dependsOnId);
  for (const link of graph.integrationLinks) g.setEdge(link.moduleId, link.integrationId);
  dagre.layout(g);
  const positions = new Map<string, Positioned>();
  for (const id of g.nodes()) {
    const node = g.node(id) as { x: number; y: number; width: number; height: number };
    // dagre gives centres; the graph component places nodes by their top-left corner.
    positions.set(id, { id, x: node.x - node.width / 2, y: node.y - node.height / 2 });
  }
  return positions;
}
