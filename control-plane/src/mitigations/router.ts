import { router } from '../trpc/trpc';

/**
 * Level-1 mitigations. Procedures: mitigations.list, mitigations.degradedMode.{start,extend,end,get}
 */
export const mitigationsRouter = router({});
