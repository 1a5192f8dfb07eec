import { AbilityBuilder, createMongoAbility, type MongoAbility } from '@casl/ability';
import type { Role } from './roles';

/**
 * Permissions as data: every tRPC procedure declares one (action, subject) pair,
 * and one builder per role below decides. The console renders from the same rules.
 */
export const ACTIONS = [
  'read',
  'create',
  'update',
  'archive',
  'revoke',
  'run',
  'approve',
  'export',
  'verify',
  'manage',
] as const;
export type Action = (typeof ACTIONS)[number];

export const SUBJECTS = [
  'Tenant',
  'Member',
  'ApiToken',
  'Module',
  'Integration',
  'AuditEvent',
  'Diagnostics',
  'Mitigation',
  'PatchPlan',
  'all',
] as const;
export type SubjectName = (typeof SUBJECTS)[number];

/** Resources whose attributes a rule may inspect (e.g. separation of duties on authorId). */
export interface PatchPlanSubject {
  __typename: 'PatchPlan';
  authorId: string;
}
export type Subject = SubjectName | PatchPlanSubject;

export type AppAbility = MongoAbility<[Action, Subject]>;

export interface AbilityActor {
  userId: string;
  role: Role;
}

const ROLE_RULES: Record<Role, (b: AbilityBuilder<AppAbility>, actor: AbilityActor) => void> = {
  tenant_admin({ can }) {
    can('read', ['Tenant', 'Member', 'Module', 'Integration', 'AuditEvent', 'Mitigation', 'PatchPlan']);
    can(['create', 'update', 'archive'], ['Module', 'Integration']);
    can(['read', 'create', 'revoke'], 'ApiToken');
    can('run', 'Diagnostics');
  },
  operator({ can }) {
    can('read', ['Tenant', 'Module', 'Integration', 'AuditEvent', 'Mitigation', 'PatchPlan']);
    can(['create', 'update'], 'Mitigation');
    can('run', 'Diagnostics');
  },
  security_reviewer({ can, cannot }, actor) {
    can('read', ['Tenant', 'Module', 'Integration', 'AuditEvent', 'Mitigation', 'PatchPlan']);
    can('approve', 'PatchPlan');
    // Separation of duties: nobody approves a plan they wrote.
    cannot('approve', 'PatchPlan', { authorId: actor.userId });
  },
  auditor({ can }) {
    can('read', ['Tenant', 'Member', 'Module', 'Integration', 'AuditEvent', 'Mitigation', 'PatchPlan']);
    can(['export', 'verify'], 'AuditEvent');
  },
  viewer({ can }) {
    can('read', ['Tenant', 'Module', 'Integration', 'Mitigation']);
  },
};

export function defineAbilityFor(actor: AbilityActor): AppAbility {
  const builder = new AbilityBuilder<AppAbility>(createMongoAbility);
  ROLE_RULES[actor.role](builder, actor);
  return builder.build({
    detectSubjectType: (subject) => (typeof subject === 'string' ? subject : subject.__typename),
  });
}

/** The packed rules, for sending to the console so it renders from the same source. */
export function rulesFor(actor: AbilityActor) {
  return defineAbilityFor(actor).rules;
}

export function abilityFromRules(rules: AppAbility['rules']): AppAbility {
  return createMongoAbility<[Action, Subject]>(rules, {
    detectSubjectType: (subject) => (typeof subject === 'string' ? subject : subject.__typename),
  });
}
