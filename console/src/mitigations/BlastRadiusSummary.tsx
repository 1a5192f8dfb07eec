import type { BlastRadius, FeatureView, ModuleView } from '@rc/contracts';

function Dependents({ dependents, of }: { dependents: BlastRadius['dependents']; of: string }) {
  if (!dependents.length) return <p className="muted">No module depends on {of}.</p>;
  return (
    <ul className="plain-list" data-testid="blast-dependents">
      {dependents.map((d) => (
        <li key={d.id}>
          <strong>{d.name}</strong>{' '}
          <span className={`tag ${d.criticality === 'critical' ? 'tag-critical' : ''}`}>
            {d.criticality === 'critical' ? 'critical' : 'non-critical'}
          </span>{' '}
          <span className="muted">
            {d.depth === 1 ? 'direct' : `depth ${d.depth}`} · {d.path.join(' → ')}
          </span>
        </li>
      ))}
    </ul>
  );
}

function FeatureList({ features, testId }: { features: FeatureView[]; testId: string }) {
  if (!features.length) return <p className="muted">None.</p>;
  return (
    <ul className="plain-list" data-testid={testId}>
      {features.map((f) => (
        <li key={f.id}>
          <span className="mono">{f.key}</span>
          {f.critical && <span className="tag tag-critical">critical</span>}
        </li>
      ))}
    </ul>
  );
}

/** What degraded mode on a module touches, as `catalog.blastRadius` computed it. */
export function DegradedModeBlastRadius({ blast }: { blast: BlastRadius }) {
  return (
    <div className="blast-grid">
      <div>
        <h4>Features switched off</h4>
        <FeatureList features={blast.featuresSwitchedOff} testId="blast-features-off" />
      </div>
      <div>
        <h4>Features left as they are</h4>
        <FeatureList features={blast.featuresUnchanged} testId="blast-features-unchanged" />
      </div>
      <div className="span-2">
        <h4>Modules depending on {blast.module.name}</h4>
        <Dependents dependents={blast.dependents} of={blast.module.name} />
      </div>
    </div>
  );
}

/** What a breaker on an integration touches: the modules calling it, and everything depending on those. */
export function BreakerBlastRadius({
  callers,
  dependents,
}: {
  callers: ModuleView[];
  dependents: ModuleView[];
}) {
  return (
    <div className="blast-grid">
      <div>
        <h4>Modules calling it</h4>
        {callers.length ? (
          <ul className="plain-list" data-testid="blast-callers">
            {callers.map((m) => (
              <li key={m.id}>
                <strong>{m.name}</strong> <span className="muted">{m.criticality.replace('_', '-')}</span>
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">No module calls it.</p>
        )}
      </div>
      <div>
        <h4>Modules depending on those</h4>
        {dependents.length ? (
          <ul className="plain-list" data-testid="blast-dependents">
            {dependents.map((m) => (
              <li key={m.id}>
                <strong>{m.name}</strong> <span className="muted">{m.criticality.replace('_', '-')}</span>
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">None.</p>
        )}
      </div>
    </div>
  );
}
