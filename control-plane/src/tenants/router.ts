import { protectedProcedure, router } from '../trpc/trpc';
import { currentTenant, listMembers } from './service';

export const tenantsRouter = router({
  current: protectedProcedure('read', 'Tenant').query(({ ctx }) => currentTenant(ctx.request)),
  members: protectedProcedure('read', 'Member').query(({ ctx }) => listMembers(ctx.request)),
});
