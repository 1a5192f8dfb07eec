import { z } from 'zod';
import { Id, Slug, Text } from './common';
import { ModuleView } from './modules';

/** A feature flag key as applications ask for it (OpenFeature), e.g. `ocr.auto-entry`. */
export const FlagKey = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lowercase letters, digits, dots, dashes and underscores');

export const FeatureView = z.object({
  id: z.uuid(),
  moduleId: z.uuid(),
  key: z.string(),
  description: z.string(),
  /** Critical features stay on in degraded mode. */
  critical: z.boolean(),
  enabled: z.boolean(),
});
export type FeatureView = z.infer<typeof FeatureView>;

export const CreateFeatureInput = z.strictObject({
  moduleId: Id,
  key: FlagKey,
  description: Text({ max: 2000 }).default(''),
  critical: z.boolean(),
  enabled: z.boolean().default(true),
});
export type CreateFeatureInput = z.infer<typeof CreateFeatureInput>;

export const UpdateFeatureInput = z.strictObject({
  id: Id,
  description: Text({ max: 2000 }).optional(),
  critical: z.boolean().optional(),
});
export type UpdateFeatureInput = z.infer<typeof UpdateFeatureInput>;

export const BREAKER_STATES = ['closed', 'open', 'half_open'] as const;
export const BreakerState = z.enum(BREAKER_STATES);
export type BreakerState = z.infer<typeof BreakerState>;

export const IntegrationView = z.object({
  id: z.uuid(),
  name: z.string(),
  healthUrl: z.string(),
  breakerState: BreakerState,
  breakerReason: z.string().nullable(),
  breakerChangedAt: z.string().nullable(),
});
export type IntegrationView = z.infer<typeof IntegrationView>;

export const CreateIntegrationInput = z.strictObject({
  name: Slug,
  /** Probed by the circuit breaker at half-open: a GET that answers 2xx means healthy. */
  healthUrl: z.url({ protocol: /^https?$/ }).max(2000),
});
export type CreateIntegrationInput = z.infer<typeof CreateIntegrationInput>;

/** Replaces a module's outgoing edges. A cycle is refused (ERR_DEPENDENCY_CYCLE) and nothing changes. */
export const SetModuleDependenciesInput = z.strictObject({
  moduleId: Id,
  dependsOnModuleIds: z.array(Id).max(100),
  integrationIds: z.array(Id).max(100),
});
export type SetModuleDependenciesInput = z.infer<typeof SetModuleDependenciesInput>;

export const CatalogGraph = z.object({
  modules: z.array(ModuleView),
  features: z.array(FeatureView),
  integrations: z.array(IntegrationView),
  /** module → module it depends on */
  dependencies: z.array(z.object({ moduleId: z.uuid(), dependsOnId: z.uuid() })),
  /** module → integration it uses */
  integrationLinks: z.array(z.object({ moduleId: z.uuid(), integrationId: z.uuid() })),
});
export type CatalogGraph = z.infer<typeof CatalogGraph>;

export const BlastRadiusInput = z.strictObject({ moduleId: Id });

/** What acting on a module touches: computed server-side, shown before any action is confirmed. */
export const BlastRadius = z.object({
  module: ModuleView,
  /** Modules that depend on it, directly or transitively; `depth` 1 = direct; `path` from the dependent down to the module. */
  dependents: z.array(
    z.object({
      id: z.uuid(),
      name: z.string(),
      criticality: z.string(),
      depth: z.number().int(),
      path: z.array(z.string()),
    }),
  ),
  /** Features degraded mode would switch off: its non-critical features that are on now. */
  featuresSwitchedOff: z.array(FeatureView),
  /** Features that stay as they are (critical ones, and those already off). */
  featuresUnchanged: z.array(FeatureView),
  /** External integrations behind the module (their breakers). */
  integrations: z.array(IntegrationView),
});
export type BlastRadius = z.infer<typeof BlastRadius>;

export const ListFeaturesInput = z.strictObject({ moduleId: Id.optional() }).default({});
export const IntegrationIdInput = z.strictObject({ id: Id });
