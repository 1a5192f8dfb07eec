import { ForceCloseBreakerInput, OpenBreakerInput } from '@rc/contracts';
import { protectedProcedure, router } from '../trpc/trpc';
import { forceCloseBreaker, listBreakers, openBreaker } from './service';

/** Circuit breakers on external integrations. Procedures: breakers.{list,open,forceClose} */
export const breakersRouter = router({
  list: protectedProcedure('read', 'Integration').query(({ ctx }) => listBreakers(ctx.request)),
  open: protectedProcedure('create', 'Mitigation')
    .input(OpenBreakerInput)
    .mutation(({ ctx, input }) => openBreaker(ctx.request, input)),
  forceClose: protectedProcedure('update', 'Mitigation')
    .input(ForceCloseBreakerInput)
    .mutation(({ ctx, input }) => forceCloseBreaker(ctx.request, input)),
});
