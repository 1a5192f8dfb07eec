import { router } from '../trpc/trpc';

/** Circuit breakers on external integrations. Procedures: breakers.{list,open,forceClose} */
export const breakersRouter = router({});
