import { router } from '../trpc/trpc';

/**
 * Module catalog: features (flags), integrations, dependencies, the graph and the blast radius.
 * Procedures: catalog.graph, catalog.blastRadius, catalog.features.{list,create,update},
 * catalog.integrations.{list,create}, catalog.dependencies.set
 */
export const catalogRouter = router({});
