import {
  EndDegradedModeInput,
  ExtendDegradedModeInput,
  GetDegradedModeInput,
  ListMitigationsInput,
  StartDegradedModeInput,
} from '@rc/contracts';
import { protectedProcedure, router } from '../trpc/trpc';
import {
  endDegradedMode,
  extendDegradedMode,
  getDegradedMode,
  listMitigations,
  startDegradedMode,
} from './service';

/**
 * Level-1 mitigations. Procedures: mitigations.list, mitigations.degradedMode.{start,extend,end,get}
 */
export const mitigationsRouter = router({
  list: protectedProcedure('read', 'Mitigation')
    .input(ListMitigationsInput)
    .query(({ ctx, input }) => listMitigations(ctx.request, input)),
  degradedMode: router({
    get: protectedProcedure('read', 'Mitigation')
      .input(GetDegradedModeInput)
      .query(({ ctx, input }) => getDegradedMode(ctx.request, input.moduleId)),
    start: protectedProcedure('create', 'Mitigation')
      .input(StartDegradedModeInput)
      .mutation(({ ctx, input }) =>
        startDegradedMode(ctx.request, {
          moduleId: input.moduleId,
          reason: input.reason,
          durationMs: input.durationMinutes * 60_000,
        }),
      ),
    extend: protectedProcedure('update', 'Mitigation')
      .input(ExtendDegradedModeInput)
      .mutation(({ ctx, input }) => extendDegradedMode(ctx.request, input)),
    end: protectedProcedure('update', 'Mitigation')
      .input(EndDegradedModeInput)
      .mutation(({ ctx, input }) => endDegradedMode(ctx.request, input)),
  }),
});
