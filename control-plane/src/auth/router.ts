import { LoginInput } from '@rc/contracts';
import { AppError } from '../errors';
import type { BaseContext } from '../trpc/context';
import { authedProcedure, publicProcedure, router } from '../trpc/trpc';
import { login, logout, me, type SignInRequest } from './service';

function signInRequestOf(ctx: BaseContext): SignInRequest {
  return { ip: ctx.ip, requestId: ctx.requestId, traceId: ctx.span.spanContext().traceId };
}

export const authRouter = router({
  login: publicProcedure
    .input(LoginInput)
    .mutation(({ ctx, input }) => login(ctx.deps, input, signInRequestOf(ctx), ctx.reply)),
  logout: authedProcedure.mutation(({ ctx }) =>
    logout(ctx.deps, ctx.principal, signInRequestOf(ctx), ctx.reply),
  ),
  me: authedProcedure.query(({ ctx }) => {
    if (ctx.principal.kind !== 'user') throw new AppError('ERR_FORBIDDEN', 'API tokens have no user profile');
    return me(ctx.deps, ctx.principal.id);
  }),
});
