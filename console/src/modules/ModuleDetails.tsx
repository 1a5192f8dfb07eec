import type { BlastRadius, CatalogGraph, MitigationView } from '@rc/contracts';
import { BreakerControls } from '../mitigations/BreakerControls';
import { DegradedModeControls } from '../mitigations/DegradedModeControls';
import { HEALTH_LABELS, type ModuleHealth } from './graph-model';

/** The selected module: health, features (on/off), blast radius, and the actions the role allows. */
export function ModuleDetails({
  blast,
  graph,
  health,
  activeMitigations,
}: {
  blast: BlastRadius;
  graph: CatalogGraph;
  health: ModuleHealth | undefined;
  activeMitigations: MitigationView[];
}) {
  const { module } = blast;
  const level = health?.level ?? 'healthy';
  const features = graph.features.filter((f) => f.moduleId === module.id);
  const degraded = activeMitigations.find(
    (m) => m.kind === 'degraded_mode' && m.targetId === module.id && m.status === 'active',
  );

  return (
    <div className="details" data-testid="module-details" data-module={module.name}>
      <header className="details-header">
        <div>
          <h2>{module.name}</h2>
          <p className="muted">
            {module.criticality === 'critical' ? 'Critical' : 'Non-critical'} module · owned by{' '}
            {module.ownerTeam}
          </p>
        </div>
        <span className={`badge health-${level}`} data-testid="module-health">
          {HEALTH_LABELS[level]}
        </span>
      </header>
      {health && health.reasons.length > 0 && (
        <ul className="plain-list reasons">
          {health.reasons.map((reason) => (
            <li key={reason}>{reason}</li>
          ))}
        </ul>
      )}
      {module.description && <p>{module.description}</p>}

      <section className="card" aria-labelledby="features-title">
        <h3 id="features-title">Features</h3>
        {features.length ? (
          <table className="table compact" data-testid="module-features">
            <thead>
              <tr>
                <th>Flag</th>
                <th>Critical</th>
                <th>State</th>
              </tr>
            </thead>
            <tbody>
              {features.map((f) => (
                <tr key={f.id} data-testid={`feature-${f.key}`} data-enabled={String(f.enabled)}>
                  <td className="mono">{f.key}</td>
                  <td>{f.critical ? 'critical' : '—'}</td>
                  <td>
                    <span className={`badge ${f.enabled ? 'feature-on' : 'feature-off'}`}>
                      {f.enabled ? 'on' : 'off'}
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="muted">No features.</p>
        )}
      </section>

      <section className="card" aria-labelledby="blast-title" data-testid="module-blast-radius">
        <h3 id="blast-title">Blast radius</h3>
        {blast.dependents.length ? (
          <ul className="plain-list">
            {blast.dependents.map((d) => (
              <li key={d.id}>
                <strong>{d.name}</strong>{' '}
                <span className="muted">
                  {d.depth === 1 ? 'depends on it directly' : `depth ${d.depth}`} · {d.path.join(' → ')}
                </span>
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">No module depends on {module.name}.</p>
        )}
      </section>

      <DegradedModeControls blast={blast} active={degraded} />
      <BreakerControls
        integrations={blast.integrations}
        graph={graph}
        activeMitigations={activeMitigations}
      />
    </div>
  );
}
