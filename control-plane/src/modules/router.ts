import {
  ArchiveModuleInput,
  CreateModuleInput,
  GetModuleInput,
  ListModulesInput,
  UpdateModuleInput,
} from '@rc/contracts';
import { protectedProcedure, router } from '../trpc/trpc';
import { archiveModule, createModule, getModule, listModules, updateModule } from './service';

export const modulesRouter = router({
  list: protectedProcedure('read', 'Module')
    .input(ListModulesInput)
    .query(({ ctx, input }) => listModules(ctx.request, input.includeArchived)),
  get: protectedProcedure('read', 'Module')
    .input(GetModuleInput)
    .query(({ ctx, input }) => getModule(ctx.request, input.id)),
  create: protectedProcedure('create', 'Module')
    .input(CreateModuleInput)
    .mutation(({ ctx, input }) => createModule(ctx.request, input)),
  update: protectedProcedure('update', 'Module')
    .input(UpdateModuleInput)
    .mutation(({ ctx, input }) => updateModule(ctx.request, input)),
  archive: protectedProcedure('archive', 'Module')
    .input(ArchiveModuleInput)
    .mutation(({ ctx, input }) => archiveModule(ctx.request, input.id, input.reason)),
});
