import type { Action, AppAbility, SubjectName } from '@rc/contracts';

/**
 * The permission each action button needs: exactly what its procedure declares on the server
 * (a test compares this table with the router's own metadata). A button is rendered only when
 * the member's CASL ability allows it.
 */
export const ACTION_PERMISSIONS = {
  'mitigations.degradedMode.start': ['create', 'Mitigation'],
  'mitigations.degradedMode.extend': ['update', 'Mitigation'],
  'mitigations.degradedMode.end': ['update', 'Mitigation'],
  'breakers.open': ['create', 'Mitigation'],
  'breakers.forceClose': ['update', 'Mitigation'],
} as const satisfies Record<string, readonly [Action, SubjectName]>;

export type ActionProcedure = keyof typeof ACTION_PERMISSIONS;

export function mayCall(ability: AppAbility, procedure: ActionProcedure): boolean {
  const [action, subject] = ACTION_PERMISSIONS[procedure];
  return ability.can(action, subject);
}
