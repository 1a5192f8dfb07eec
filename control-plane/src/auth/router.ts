import { LoginInput } from '@rc/contracts';
import { AppError } from '../errors';
import { authedProcedure, publicProcedure, router } from '../trpc/trpc';
import { login, logout, me } from './service';

export const authRouter = router({
  login: publicProcedure
    .input(LoginInput)
    .mutation(({ ctx, input }) => login(ctx.deps, input, ctx.ip, ctx.reply)),
  logout: authedProcedure.mutation(({ ctx }) => logout(ctx.deps, ctx.principal, ctx.reply)),
  me: authedProcedure.query(({ ctx }) => {
    if (ctx.principal.kind !== 'user') throw new AppError('ERR_FORBIDDEN', 'API tokens have no user profile');
    return me(ctx.deps, ctx.principal.id);
  }),
});
