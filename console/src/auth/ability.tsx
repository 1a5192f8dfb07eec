/**
 * The console renders from the same CASL rules the API enforces: `tenants.current` sends the
 * member's packed rules, rebuilt here with `abilityFromRules`. A button a role may not use is not
 * rendered at all (the API would refuse it anyway, and audit the attempt).
 */
import { createContext, useContext, type ReactNode } from 'react';
import { abilityFromRules, type Action, type AppAbility, type SubjectName } from '@rc/contracts';

const NOTHING_ALLOWED = abilityFromRules([]);
const AbilityContext = createContext<AppAbility>(NOTHING_ALLOWED);

/** `ability` is built once per tenant from `tenants.current` rules with `abilityFromRules`. */
export function AbilityProvider({ ability, children }: { ability: AppAbility; children: ReactNode }) {
  return <AbilityContext.Provider value={ability}>{children}</AbilityContext.Provider>;
}

export function useAbility(): AppAbility {
  return useContext(AbilityContext);
}

/** Renders its children only when the member may do `I` on `a`. */
export function Can({ I, a, children }: { I: Action; a: SubjectName; children: ReactNode }) {
  return useAbility().can(I, a) ? <>{children}</> : null;
}
