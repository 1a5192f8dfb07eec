import { apiTokensRouter } from '../api-tokens/router';
import { auditRouter } from '../audit/router';
import { authRouter } from '../auth/router';
import { breakersRouter } from '../breakers/router';
import { catalogRouter } from '../catalog/router';
import { diagnosticsRouter } from '../diagnostics/router';
import { mitigationsRouter } from '../mitigations/router';
import { modulesRouter } from '../modules/router';
import { tenantsRouter } from '../tenants/router';
import { router } from './trpc';

/** The whole API. Tests enumerate it to check every procedure for isolation and bad input. */
export const appRouter = router({
  auth: authRouter,
  tenants: tenantsRouter,
  apiTokens: apiTokensRouter,
  modules: modulesRouter,
  audit: auditRouter,
  diagnostics: diagnosticsRouter,
  catalog: catalogRouter,
  mitigations: mitigationsRouter,
  breakers: breakersRouter,
});

export type AppRouter = typeof appRouter;
