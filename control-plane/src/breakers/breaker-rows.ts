/**
 * What every change of a breaker does to its integration row, whoever makes it (the breaker
 * workflow's activities in the worker, or the control plane closing a breaker whose workflow is
 * gone). Each runs inside the caller's tenant transaction, with the integration row locked; the
 * caller flushes, with its other changes.
 */
import type { Integration } from '../catalog/entities';
import type { Mitigation } from '../mitigations/entities';
import { endMitigation } from '../mitigations/mitigation-rows';

/** Moves the breaker to `state`, saying why and when. */
export function setBreakerState(
  integration: Integration,
  state: Integration['breakerState'],
  reason: string,
  at: Date,
): void {
  integration.breakerState = state;
  integration.breakerReason = reason;
  integration.breakerChangedAt = at;
}

/** Closes the breaker and ends the mitigation that opened it; returns the state it was in. */
export function closeBreakerRows(
  integration: Integration,
  mitigation: Mitigation,
  reason: string,
  at: Date,
): Integration['breakerState'] {
  const stateBefore = integration.breakerState;
  endMitigation(mitigation, reason, at);
  setBreakerState(integration, 'closed', reason, at);
  return stateBefore;
}
