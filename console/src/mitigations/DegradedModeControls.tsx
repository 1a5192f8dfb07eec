/**
 * Degraded mode on one module: its state, and start / extend / end — each behind a confirmation
 * that shows the blast radius and asks for a reason. Buttons appear only for roles allowed to use them.
 */
import { useState } from 'react';
import {
  DEGRADED_MODE_DEFAULT_MINUTES,
  DEGRADED_MODE_MAX_MINUTES,
  type BlastRadius,
  type MitigationView,
} from '@rc/contracts';
import { api, pollFastForAWhile, queryClient, queryKeys } from '../api/trpc';
import { useAbility } from '../auth/ability';
import { formatTime, relativeTime } from '../layout/format';
import { useTenant } from '../layout/tenant';
import { DegradedModeBlastRadius } from './BlastRadiusSummary';
import { ConfirmActionDialog } from './ConfirmActionDialog';
import { mayCall, type ActionProcedure } from './permissions';

type Pending = 'start' | 'extend' | 'end' | null;

/** Feature keys degraded mode turned off (and will turn back on), from its snapshot. */
function featuresItSwitchedOff(mitigation: MitigationView): string[] {
  const features = (mitigation.snapshot as { features?: Record<string, unknown> }).features ?? {};
  return Object.entries(features)
    .filter(([, wasEnabled]) => wasEnabled === true)
    .map(([key]) => key);
}

export function DegradedModeControls({
  blast,
  active,
}: {
  blast: BlastRadius;
  active: MitigationView | undefined;
}) {
  const tenant = useTenant();
  const ability = useAbility();
  const [pending, setPending] = useState<Pending>(null);
  const module = blast.module;
  const can = (procedure: ActionProcedure) => mayCall(ability, procedure);

  const done = () => {
    setPending(null);
    pollFastForAWhile();
    void queryClient.invalidateQueries({ queryKey: queryKeys.tenant(tenant.slug) });
  };
  const cancel = () => setPending(null);
  const restoring = active ? featuresItSwitchedOff(active) : [];

  return (
    <section className="card" aria-labelledby="degraded-title" data-testid="degraded-mode">
      <h3 id="degraded-title">Degraded mode</h3>
      {active ? (
        <div className="state state-degraded" data-testid="degraded-mode-state" data-state="active">
          <p>
            <strong>Active</strong> since {formatTime(active.startedAt)}
            {active.endsAt && (
              <>
                , ends {formatTime(active.endsAt)} ({relativeTime(active.endsAt)})
              </>
            )}
          </p>
          <p className="muted">
            {active.requestedByLabel}: “{active.reason}”
          </p>
        </div>
      ) : (
        <p className="state" data-testid="degraded-mode-state" data-state="off">
          Off. Starting it switches off {blast.featuresSwitchedOff.length} non-critical feature
          {blast.featuresSwitchedOff.length === 1 ? '' : 's'} of {module.name} for a limited time.
        </p>
      )}
      <div className="actions">
        {!active && can('mitigations.degradedMode.start') && (
          <button
            type="button"
            className="button danger"
            data-testid="action-degraded-start"
            onClick={() => setPending('start')}
          >
            Start degraded mode…
          </button>
        )}
        {active && can('mitigations.degradedMode.extend') && (
          <button
            type="button"
            className="button"
            data-testid="action-degraded-extend"
            onClick={() => setPending('extend')}
          >
            Extend…
          </button>
        )}
        {active && can('mitigations.degradedMode.end') && (
          <button
            type="button"
            className="button"
            data-testid="action-degraded-end"
            onClick={() => setPending('end')}
          >
            End degraded mode…
          </button>
        )}
      </div>

      {pending === 'start' && (
        <ConfirmActionDialog
          title={`Start degraded mode on ${module.name}`}
          summary={
            <>
              Its non-critical features are switched off now and restored exactly as they were when the time
              runs out or when someone ends it.
            </>
          }
          blastRadius={<DegradedModeBlastRadius blast={blast} />}
          confirmLabel="Start degraded mode"
          tone="danger"
          amounts={[
            {
              name: 'durationMinutes',
              label: 'Duration',
              unit: 'minutes',
              min: 1,
              max: DEGRADED_MODE_MAX_MINUTES,
              initial: DEGRADED_MODE_DEFAULT_MINUTES,
            },
          ]}
          onConfirm={({ reason, amounts }) =>
            api.mitigations.degradedMode.start.mutate({
              moduleId: module.id,
              reason,
              durationMinutes: amounts.durationMinutes,
            })
          }
          onDone={done}
          onCancel={cancel}
        />
      )}
      {pending === 'extend' && active && (
        <ConfirmActionDialog
          title={`Extend degraded mode on ${module.name}`}
          summary={<>Keeps its features off longer; it now ends {formatTime(active.endsAt)}.</>}
          blastRadius={<RestoreList keys={restoring} blast={blast} heading="Features staying off" />}
          confirmLabel="Extend"
          amounts={[
            {
              name: 'additionalMinutes',
              label: 'Add',
              unit: 'minutes',
              min: 1,
              max: DEGRADED_MODE_MAX_MINUTES,
              initial: 30,
            },
          ]}
          onConfirm={({ reason, amounts }) =>
            api.mitigations.degradedMode.extend.mutate({
              moduleId: module.id,
              reason,
              // Required field: the dialog sends only once it holds a number.
              additionalMinutes: amounts.additionalMinutes!,
            })
          }
          onDone={done}
          onCancel={cancel}
        />
      )}
      {pending === 'end' && active && (
        <ConfirmActionDialog
          title={`End degraded mode on ${module.name}`}
          summary={<>Restores every feature it switched off to the state it had before.</>}
          blastRadius={<RestoreList keys={restoring} blast={blast} heading="Features switched back on" />}
          confirmLabel="End degraded mode"
          onConfirm={({ reason }) => api.mitigations.degradedMode.end.mutate({ moduleId: module.id, reason })}
          onDone={done}
          onCancel={cancel}
        />
      )}
    </section>
  );
}

function RestoreList({ keys, blast, heading }: { keys: string[]; blast: BlastRadius; heading: string }) {
  return (
    <div className="blast-grid">
      <div>
        <h4>{heading}</h4>
        {keys.length ? (
          <ul className="plain-list">
            {keys.map((key) => (
              <li key={key} className="mono">
                {key}
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">None.</p>
        )}
      </div>
      <div>
        <h4>Modules depending on {blast.module.name}</h4>
        {blast.dependents.length ? (
          <ul className="plain-list">
            {blast.dependents.map((d) => (
              <li key={d.id}>
                <strong>{d.name}</strong> <span className="muted">{d.path.join(' → ')}</span>
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
