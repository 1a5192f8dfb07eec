import { CreateApiTokenInput, RevokeApiTokenInput } from '@rc/contracts';
import { protectedProcedure, router } from '../trpc/trpc';
import { createApiToken, listApiTokens, revokeApiToken } from './service';

export const apiTokensRouter = router({
  list: protectedProcedure('read', 'ApiToken').query(({ ctx }) => listApiTokens(ctx.request)),
  create: protectedProcedure('create', 'ApiToken')
    .input(CreateApiTokenInput)
    .mutation(({ ctx, input }) => createApiToken(ctx.request, input)),
  revoke: protectedProcedure('revoke', 'ApiToken')
    .input(RevokeApiTokenInput)
    .mutation(({ ctx, input }) => revokeApiToken(ctx.request, input.id)),
});
