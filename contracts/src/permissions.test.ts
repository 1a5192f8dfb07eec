import { describe, expect, it } from 'vitest';
import { defineAbilityFor, abilityFromRules, rulesFor } from './permissions';

describe('role abilities', () => {
  it('an operator may run mitigations but not manage modules or tokens', () => {
    const operator = defineAbilityFor({ userId: 'u1', role: 'operator' });
    expect(operator.can('create', 'Mitigation')).toBe(true);
    expect(operator.can('create', 'Module')).toBe(false);
    expect(operator.can('create', 'ApiToken')).toBe(false);
  });

  it('a viewer and an auditor change nothing', () => {
    for (const role of ['viewer', 'auditor'] as const) {
      const ability = defineAbilityFor({ userId: 'u1', role });
      for (const action of ['create', 'update', 'archive', 'revoke', 'run', 'approve'] as const) {
        for (const subject of ['Module', 'ApiToken', 'Mitigation', 'PatchPlan', 'Diagnostics'] as const) {
          expect(ability.can(action, subject), `${role} ${action} ${subject}`).toBe(false);
        }
      }
    }
    expect(defineAbilityFor({ userId: 'u1', role: 'auditor' }).can('verify', 'AuditEvent')).toBe(true);
  });

  it('a security reviewer approves a plan written by someone else, never their own (separation of duties)', () => {
    const reviewer = defineAbilityFor({ userId: 'alice', role: 'security_reviewer' });
    expect(reviewer.can('approve', { __typename: 'PatchPlan', authorId: 'bob' })).toBe(true);
    expect(reviewer.can('approve', { __typename: 'PatchPlan', authorId: 'alice' })).toBe(false);
  });

  it('the console rebuilds the same ability from the serialised rules', () => {
    const rules = JSON.parse(JSON.stringify(rulesFor({ userId: 'alice', role: 'security_reviewer' })));
    const rebuilt = abilityFromRules(rules);
    expect(rebuilt.can('approve', { __typename: 'PatchPlan', authorId: 'alice' })).toBe(false);
    expect(rebuilt.can('approve', { __typename: 'PatchPlan', authorId: 'bob' })).toBe(true);
  });
});
