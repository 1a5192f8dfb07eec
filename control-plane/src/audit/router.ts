import { ListAuditEventsInput } from '@rc/contracts';
import { protectedProcedure, router } from '../trpc/trpc';
import { listAuditEvents, verifyTenantAuditChain } from './service';

export const auditRouter = router({
  list: protectedProcedure('read', 'AuditEvent')
    .input(ListAuditEventsInput)
    .query(({ ctx, input }) => listAuditEvents(ctx.request, input)),
  verify: protectedProcedure('verify', 'AuditEvent').query(({ ctx }) => verifyTenantAuditChain(ctx.request)),
});
