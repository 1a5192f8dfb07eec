import {
  BlastRadiusInput,
  CreateFeatureInput,
  CreateIntegrationInput,
  ListFeaturesInput,
  SetModuleDependenciesInput,
  UpdateFeatureInput,
} from '@rc/contracts';
import { protectedProcedure, router } from '../trpc/trpc';
import {
  createFeature,
  createIntegration,
  getBlastRadius,
  getCatalogGraph,
  listFeatures,
  listIntegrations,
  setModuleDependencies,
  updateFeature,
} from './service';

/**
 * Module catalog: features (flags), integrations, dependencies, the graph and the blast radius.
 * Procedures: catalog.graph, catalog.blastRadius, catalog.features.{list,create,update},
 * catalog.integrations.{list,create}, catalog.dependencies.set
 */
export const catalogRouter = router({
  graph: protectedProcedure('read', 'Module').query(({ ctx }) => getCatalogGraph(ctx.request)),
  blastRadius: protectedProcedure('read', 'Module')
    .input(BlastRadiusInput)
    .query(({ ctx, input }) => getBlastRadius(ctx.request, input.moduleId)),
  features: router({
    list: protectedProcedure('read', 'Module')
      .input(ListFeaturesInput)
      .query(({ ctx, input }) => listFeatures(ctx.request, input.moduleId)),
    create: protectedProcedure('update', 'Module')
      .input(CreateFeatureInput)
      .mutation(({ ctx, input }) => createFeature(ctx.request, input)),
    update: protectedProcedure('update', 'Module')
      .input(UpdateFeatureInput)
      .mutation(({ ctx, input }) => updateFeature(ctx.request, input)),
  }),
  integrations: router({
    list: protectedProcedure('read', 'Integration').query(({ ctx }) => listIntegrations(ctx.request)),
    create: protectedProcedure('create', 'Integration')
      .input(CreateIntegrationInput)
      .mutation(({ ctx, input }) => createIntegration(ctx.request, input)),
  }),
  dependencies: router({
    set: protectedProcedure('update', 'Module')
      .input(SetModuleDependenciesInput)
      .mutation(({ ctx, input }) => setModuleDependencies(ctx.request, input)),
  }),
});
