/**
 * Modules: the dependency graph with each module's health; selecting one highlights its blast
 * radius and opens its details (features, mitigations, breakers) beside the graph.
 */
import { useCallback, useMemo, useState } from 'react';
import { problemOf } from '../api/trpc';
import { useTenant } from '../layout/tenant';
import { ProblemMessage } from '../layout/ProblemMessage';
import { useActiveMitigations } from '../mitigations/queries';
import { DependencyGraph } from './DependencyGraph';
import { HEALTH_LABELS, moduleHealth, type HealthLevel, type ModuleHealth } from './graph-model';
import { ModuleDetails } from './ModuleDetails';
import { useBlastRadius, useCatalogGraph } from './queries';

export function ModulesPage() {
  const tenant = useTenant();
  const graphQuery = useCatalogGraph(tenant.slug);
  const mitigationsQuery = useActiveMitigations(tenant.slug);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const graph = graphQuery.data;
  const selected = graph?.modules.find((m) => m.id === selectedId) ? selectedId : null;
  const blastQuery = useBlastRadius(tenant.slug, selected);
  const active = useMemo(() => mitigationsQuery.data ?? [], [mitigationsQuery.data]);
  const health = useMemo(
    () => (graph ? moduleHealth(graph, active) : new Map<string, ModuleHealth>()),
    [graph, active],
  );
  const blastIds = useMemo(
    () => new Set(blastQuery.data?.module.id === selected ? blastQuery.data.dependents.map((d) => d.id) : []),
    [blastQuery.data, selected],
  );
  const select = useCallback(
    (id: string | null) => setSelectedId((current) => (current === id ? null : id)),
    [],
  );

  if (graphQuery.isPending) return <p className="muted">Loading the catalog…</p>;
  if (graphQuery.isError) return <ProblemMessage problem={problemOf(graphQuery.error)} what="the catalog" />;

  const counts = graph!.modules.reduce<Record<string, number>>((acc, m) => {
    const level = health.get(m.id)?.level ?? 'healthy';
    acc[level] = (acc[level] ?? 0) + 1;
    return acc;
  }, {});

  return (
    <div className="modules-page">
      <header className="page-header">
        <h1>Modules</h1>
        <p className="muted">
          {graph!.modules.length} modules ·{' '}
          {Object.entries(counts)
            .map(([level, n]) => `${n} ${HEALTH_LABELS[level as HealthLevel].toLowerCase()}`)
            .join(' · ')}
          {mitigationsQuery.isError && ' · mitigations unavailable'}
        </p>
      </header>
      <div className="modules-layout">
        <div className="modules-main">
          <DependencyGraph
            graph={graph!}
            health={health}
            selectedId={selected}
            blastIds={blastIds}
            onSelect={select}
          />
          <table className="table" data-testid="module-table">
            <thead>
              <tr>
                <th>Module</th>
                <th>Criticality</th>
                <th>Owner</th>
                <th>Health</th>
                <th>Features on</th>
              </tr>
            </thead>
            <tbody>
              {graph!.modules.map((m) => {
                const features = graph!.features.filter((f) => f.moduleId === m.id);
                const level = health.get(m.id)?.level ?? 'healthy';
                return (
                  <tr
                    key={m.id}
                    className={m.id === selected ? 'selected' : blastIds.has(m.id) ? 'in-blast' : ''}
                    data-testid={`module-row-${m.name}`}
                  >
                    <td>
                      <button type="button" className="link-button" onClick={() => select(m.id)}>
                        {m.name}
                      </button>
                    </td>
                    <td>{m.criticality === 'critical' ? 'critical' : 'non-critical'}</td>
                    <td>{m.ownerTeam}</td>
                    <td>
                      <span className={`badge health-${level}`}>{HEALTH_LABELS[level]}</span>
                    </td>
                    <td>
                      {features.filter((f) => f.enabled).length} / {features.length}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        <aside className="modules-side" aria-label="Selected module">
          {!selected && (
            <p className="muted empty-hint">
              Select a module in the graph to see its blast radius and actions.
            </p>
          )}
          {selected && blastQuery.isPending && <p className="muted">Computing the blast radius…</p>}
          {selected && blastQuery.isError && (
            <ProblemMessage problem={problemOf(blastQuery.error)} what="the blast radius" />
          )}
          {selected && blastQuery.data?.module.id === selected && (
            <ModuleDetails
              blast={blastQuery.data}
              graph={graph!}
              health={health.get(selected)}
              activeMitigations={active}
            />
          )}
        </aside>
      </div>
    </div>
  );
}
