/**
 * Circuit breakers of the integrations a module calls: their state, and open / force-close,
 * each behind a confirmation showing every module the breaker cuts off (callers and their dependents).
 */
import { useState } from 'react';
import {
  BREAKER_COOL_DOWN_DEFAULT_SECONDS,
  BREAKER_COOL_DOWN_MAX_SECONDS,
  fieldErrorsOf,
  OpenBreakerInput,
  type CatalogGraph,
  type IntegrationView,
  type MitigationView,
} from '@rc/contracts';
import { api, pollFastForAWhile, queryClient, queryKeys } from '../api/trpc';
import { useAbility } from '../auth/ability';
import { formatTime } from '../layout/format';
import { useTenant } from '../layout/tenant';
import { dependentsOf } from '../modules/graph-model';
import { BreakerBlastRadius } from './BlastRadiusSummary';
import { ConfirmActionDialog } from './ConfirmActionDialog';
import { mayCall, type ActionProcedure } from './permissions';

export function BreakerControls({
  integrations,
  graph,
  activeMitigations,
}: {
  integrations: IntegrationView[];
  graph: CatalogGraph;
  activeMitigations: MitigationView[];
}) {
  const tenant = useTenant();
  const ability = useAbility();
  const [pending, setPending] = useState<{ integration: IntegrationView; action: 'open' | 'close' } | null>(
    null,
  );
  const can = (procedure: ActionProcedure) => mayCall(ability, procedure);

  const blastOf = (integration: IntegrationView) => {
    const callerIds = new Set(
      graph.integrationLinks.filter((l) => l.integrationId === integration.id).map((l) => l.moduleId),
    );
    const dependentIds = dependentsOf(graph, callerIds);
    return {
      callers: graph.modules.filter((m) => callerIds.has(m.id)),
      dependents: graph.modules.filter((m) => dependentIds.has(m.id)),
    };
  };
  const done = () => {
    setPending(null);
    pollFastForAWhile();
    void queryClient.invalidateQueries({ queryKey: queryKeys.tenant(tenant.slug) });
  };

  return (
    <section className="card" aria-labelledby="breakers-title" data-testid="breakers">
      <h3 id="breakers-title">Circuit breakers</h3>
      {!integrations.length && <p className="muted">This module calls no external integration.</p>}
      <ul className="plain-list breaker-list">
        {integrations.map((integration) => {
          const mitigation = activeMitigations.find(
            (m) => m.kind === 'circuit_breaker' && m.targetId === integration.id,
          );
          const closed = integration.breakerState === 'closed';
          return (
            <li
              key={integration.id}
              data-testid={`breaker-${integration.name}`}
              data-state={integration.breakerState}
            >
              <div>
                <strong>{integration.name}</strong>{' '}
                <span className={`badge breaker-${integration.breakerState}`}>
                  {integration.breakerState.replace('_', '-')}
                </span>
                {!closed && (
                  <div className="muted">
                    {formatTime(integration.breakerChangedAt)}
                    {(mitigation?.reason ?? integration.breakerReason) &&
                      ` — “${mitigation?.reason ?? integration.breakerReason}”`}
                  </div>
                )}
              </div>
              <div className="actions">
                {closed && can('breakers.open') && (
                  <button
                    type="button"
                    className="button danger"
                    data-testid={`action-breaker-open-${integration.name}`}
                    onClick={() => setPending({ integration, action: 'open' })}
                  >
                    Open breaker…
                  </button>
                )}
                {!closed && can('breakers.forceClose') && (
                  <button
                    type="button"
                    className="button"
                    data-testid={`action-breaker-close-${integration.name}`}
                    onClick={() => setPending({ integration, action: 'close' })}
                  >
                    Force close…
                  </button>
                )}
              </div>
            </li>
          );
        })}
      </ul>

      {pending?.action === 'open' && (
        <ConfirmActionDialog
          title={`Open the breaker on ${pending.integration.name}`}
          summary={
            <>
              Calls to {pending.integration.name} stop at once. After the cool-down the breaker goes half-open
              and probes the integration&apos;s health before closing.
            </>
          }
          blastRadius={<BreakerBlastRadius {...blastOf(pending.integration)} />}
          confirmLabel="Open breaker"
          tone="danger"
          amounts={[
            {
              name: 'coolDownSeconds',
              label: 'Cool-down',
              unit: 'seconds',
              min: 1,
              max: BREAKER_COOL_DOWN_MAX_SECONDS,
              initial: BREAKER_COOL_DOWN_DEFAULT_SECONDS,
            },
            {
              name: 'maxCoolDownSeconds',
              label: 'Back-off cap',
              unit: 'seconds',
              min: 1,
              max: BREAKER_COOL_DOWN_MAX_SECONDS,
              initial: null,
              optional: true,
              hint: 'the cool-down doubles after each failed probe up to this; blank: an hour',
            },
          ]}
          check={(amounts) => {
            // The contract's own rules (the cap may not be below the cool-down), before sending;
            // the reason is the dialog's own field, checked apart.
            const parsed = OpenBreakerInput.safeParse({
              integrationId: pending.integration.id,
              reason: 'checked separately',
              ...amounts,
            });
            return parsed.success ? {} : fieldErrorsOf(parsed.error);
          }}
          onConfirm={({ reason, amounts }) =>
            api.breakers.open.mutate({
              integrationId: pending.integration.id,
              reason,
              coolDownSeconds: amounts.coolDownSeconds,
              maxCoolDownSeconds: amounts.maxCoolDownSeconds,
            })
          }
          onDone={done}
          onCancel={() => setPending(null)}
        />
      )}
      {pending?.action === 'close' && (
        <ConfirmActionDialog
          title={`Force-close the breaker on ${pending.integration.name}`}
          summary={<>Calls to {pending.integration.name} resume now, without waiting for a health probe.</>}
          blastRadius={<BreakerBlastRadius {...blastOf(pending.integration)} />}
          confirmLabel="Force close"
          onConfirm={({ reason }) =>
            api.breakers.forceClose.mutate({ integrationId: pending.integration.id, reason })
          }
          onDone={done}
          onCancel={() => setPending(null)}
        />
      )}
    </section>
  );
}
