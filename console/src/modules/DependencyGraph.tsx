/**
 * The tenant's dependency graph, drawn with React Flow and laid out by dagre: modules above
 * what they depend on, external integrations (and their breakers) at the bottom. Selecting a
 * module highlights its blast radius: every module that depends on it, and the edges between.
 */
import {
  Background,
  Controls,
  Handle,
  MarkerType,
  Position,
  ReactFlow,
  type Edge,
  type Node,
  type NodeProps,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useMemo } from 'react';
import type { CatalogGraph, IntegrationView, ModuleView } from '@rc/contracts';
import { HEALTH_LABELS, layoutCatalog, NODE_SIZE, type ModuleHealth } from './graph-model';

type Emphasis = 'selected' | 'blast' | 'dim' | 'none';

type ModuleNodeData = {
  module: ModuleView;
  health: ModuleHealth | undefined;
  emphasis: Emphasis;
};
type IntegrationNodeData = { integration: IntegrationView; emphasis: Emphasis };
type ModuleNode = Node<ModuleNodeData, 'module'>;
type IntegrationNode = Node<IntegrationNodeData, 'integration'>;

function ModuleNodeView({ data }: NodeProps<ModuleNode>) {
  const { module, health, emphasis } = data;
  const level = health?.level ?? 'healthy';
  return (
    <>
      <Handle type="target" position={Position.Top} isConnectable={false} />
      <button
        type="button"
        className={`graph-node module-node emphasis-${emphasis} health-${level}`}
        data-testid={`module-node-${module.name}`}
        aria-pressed={emphasis === 'selected'}
        aria-label={`${module.name}: ${HEALTH_LABELS[level]}`}
        title={health?.reasons.join('\n') || HEALTH_LABELS[level]}
      >
        <span className="node-title">
          <span className={`dot health-${level}`} aria-hidden="true" />
          {module.name}
        </span>
        <span className="node-sub">
          {module.criticality === 'critical' ? 'critical' : 'non-critical'} · {HEALTH_LABELS[level]}
        </span>
      </button>
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </>
  );
}

function IntegrationNodeView({ data }: NodeProps<IntegrationNode>) {
  const { integration, emphasis } = data;
  return (
    <>
      <Handle type="target" position={Position.Top} isConnectable={false} />
      <div
        className={`graph-node integration-node emphasis-${emphasis} breaker-${integration.breakerState}`}
        data-testid={`integration-node-${integration.name}`}
      >
        <span className="node-title">{integration.name}</span>
        <span className="node-sub">breaker {integration.breakerState.replace('_', '-')}</span>
      </div>
    </>
  );
}

/** Same colours as styles.css (edge paths are styled there; SVG markers take a colour here). */
const EDGE_COLOR = '#8a96a6';
const DIM_COLOR = '#cfd5dd';
const BLAST_COLOR = '#d9480f';

const NODE_TYPES = { module: ModuleNodeView, integration: IntegrationNodeView };

export interface DependencyGraphProps {
  graph: CatalogGraph;
  health: Map<string, ModuleHealth>;
  selectedId: string | null;
  /** The selected module's dependents (its blast radius), from `catalog.blastRadius`. */
  blastIds: Set<string>;
  onSelect: (moduleId: string | null) => void;
}

export function DependencyGraph({ graph, health, selectedId, blastIds, onSelect }: DependencyGraphProps) {
  const positions = useMemo(() => layoutCatalog(graph), [graph]);
  const structureKey = useMemo(
    () => [...graph.modules.map((m) => m.id), ...graph.integrations.map((i) => i.id)].join(','),
    [graph],
  );

  const { nodes, edges } = useMemo(() => {
    const inBlast = (id: string) => id === selectedId || blastIds.has(id);
    const emphasisOf = (id: string): Emphasis =>
      !selectedId ? 'none' : id === selectedId ? 'selected' : blastIds.has(id) ? 'blast' : 'dim';
    const selectedIntegrations = new Set(
      graph.integrationLinks.filter((l) => l.moduleId === selectedId).map((l) => l.integrationId),
    );
    const nodes: Array<ModuleNode | IntegrationNode> = [
      ...graph.modules.map((module): ModuleNode => ({
        id: module.id,
        type: 'module',
        position: positions.get(module.id) ?? { x: 0, y: 0 },
        data: { module, health: health.get(module.id), emphasis: emphasisOf(module.id) },
        ...NODE_SIZE.module,
      })),
      ...graph.integrations.map((integration): IntegrationNode => ({
        id: integration.id,
        type: 'integration',
        position: positions.get(integration.id) ?? { x: 0, y: 0 },
        data: {
          integration,
          emphasis: !selectedId ? 'none' : selectedIntegrations.has(integration.id) ? 'blast' : 'dim',
        },
        ...NODE_SIZE.integration,
      })),
    ];
    const edges: Edge[] = [
      ...graph.dependencies.map((d): Edge => {
        const hot = Boolean(selectedId) && inBlast(d.moduleId) && inBlast(d.dependsOnId);
        return {
          id: `dep:${d.moduleId}:${d.dependsOnId}`,
          source: d.moduleId,
          target: d.dependsOnId,
          className: hot ? 'edge-blast' : selectedId ? 'edge-dim' : 'edge-dependency',
          animated: hot,
          // Markers scale with the stroke: the thicker blast edge gets a smaller one.
          markerEnd: {
            type: MarkerType.ArrowClosed,
            width: hot ? 9 : 14,
            height: hot ? 9 : 14,
            color: hot ? BLAST_COLOR : selectedId ? DIM_COLOR : EDGE_COLOR,
          },
          ariaLabel: 'depends on',
        };
      }),
      ...graph.integrationLinks.map((l): Edge => ({
        id: `int:${l.moduleId}:${l.integrationId}`,
        source: l.moduleId,
        target: l.integrationId,
        className: selectedId && l.moduleId !== selectedId ? 'edge-dim' : 'edge-integration',
        markerEnd: { type: MarkerType.ArrowClosed, width: 18, height: 18 },
        ariaLabel: 'calls',
      })),
    ];
    return { nodes, edges };
  }, [graph, positions, health, selectedId, blastIds]);

  return (
    <div className="graph" data-testid="dependency-graph" aria-label="Module dependency graph">
      <ReactFlow
        key={structureKey}
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable={false}
        // A click (or Enter on the focused node button) selects a module; integrations are not selectable.
        onNodeClick={(_event, node) => node.type === 'module' && onSelect(node.id)}
        onPaneClick={() => onSelect(null)}
        fitView
        fitViewOptions={{ padding: 0.2, maxZoom: 1.2 }}
        minZoom={0.3}
        maxZoom={2}
      >
        <Background gap={24} size={1} />
        <Controls showInteractive={false} />
      </ReactFlow>
      <div className="graph-legend" aria-hidden="true">
        <span>
          <i className="legend-arrow" /> depends on
        </span>
        <span>
          <i className="legend-blast" /> blast radius of the selected module
        </span>
      </div>
    </div>
  );
}
