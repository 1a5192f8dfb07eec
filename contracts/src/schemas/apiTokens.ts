import { z } from 'zod';
import { ROLES, TOKEN_ROLES } from '../roles';
import { Id, ShortText } from './common';

export const CreateApiTokenInput = z.strictObject({
  name: ShortText,
  role: z.enum(TOKEN_ROLES, {
    error: `a token's role is one of ${TOKEN_ROLES.join(', ')} (approvals are made by people)`,
  }),
  /** Days until expiry; tokens without expiry are refused on purpose. */
  expiresInDays: z.number().int().min(1).max(365).default(90),
});
export type CreateApiTokenInput = z.infer<typeof CreateApiTokenInput>;

export const RevokeApiTokenInput = z.strictObject({ id: Id });

export const ApiTokenView = z.object({
  id: z.uuid(),
  name: z.string(),
  role: z.enum(ROLES),
  prefix: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export type ApiTokenView = z.infer<typeof ApiTokenView>;

/** Returned once by create: `secret` is never shown again. */
export const CreatedApiToken = z.object({ token: ApiTokenView, secret: z.string() });
