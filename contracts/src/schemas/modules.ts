import { z } from 'zod';
import { Id, Reason, ShortText, Slug, Text } from './common';

export const CRITICALITIES = ['critical', 'non_critical'] as const;
export const Criticality = z.enum(CRITICALITIES);
export const MODULE_STATUSES = ['active', 'archived'] as const;

export const CreateModuleInput = z.strictObject({
  name: Slug,
  ownerTeam: ShortText,
  criticality: Criticality,
  description: Text({ max: 2000 }).default(''),
});
export type CreateModuleInput = z.infer<typeof CreateModuleInput>;

export const UpdateModuleInput = z.strictObject({
  id: Id,
  ownerTeam: ShortText.optional(),
  criticality: Criticality.optional(),
  description: Text({ max: 2000 }).optional(),
});
export type UpdateModuleInput = z.infer<typeof UpdateModuleInput>;

export const ArchiveModuleInput = z.strictObject({ id: Id, reason: Reason });
export const GetModuleInput = z.strictObject({ id: Id });
export const ListModulesInput = z
  .strictObject({ includeArchived: z.boolean().default(false) })
  .default({ includeArchived: false });

export const ModuleView = z.object({
  id: z.uuid(),
  name: z.string(),
  ownerTeam: z.string(),
  criticality: Criticality,
  description: z.string(),
  status: z.enum(MODULE_STATUSES),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ModuleView = z.infer<typeof ModuleView>;
