import { z } from 'zod';

/** Every API object id is a UUID; anything else is a validation error, never a 500. */
export const Id = z.uuid();
export const Slug = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes');
/** Free text a person types (reasons, descriptions): bounded, trimmed. */
export const Reason = z.string().trim().min(3).max(500);
export const ShortText = z.string().trim().min(1).max(200);

export const Page = z.strictObject({
  limit: z.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});
export const EmptyInput = z.strictObject({}).optional();
