import { RunDiagnosticsInput } from '@rc/contracts';
import { protectedProcedure, router } from '../trpc/trpc';
import { runDiagnostics } from './service';

export const diagnosticsRouter = router({
  run: protectedProcedure('run', 'Diagnostics')
    .input(RunDiagnosticsInput)
    .mutation(({ ctx, input }) => runDiagnostics(ctx.request, input.echo)),
});
