import { z } from 'zod';
import { ROLES } from '../roles';

export const LoginInput = z.strictObject({
  email: z.email().max(254),
  password: z.string().min(1).max(256),
});
export type LoginInput = z.infer<typeof LoginInput>;

export const Membership = z.object({
  tenantId: z.uuid(),
  tenantSlug: z.string(),
  tenantName: z.string(),
  role: z.enum(ROLES),
});

export const Me = z.object({
  userId: z.uuid(),
  email: z.string(),
  displayName: z.string(),
  memberships: z.array(Membership),
});
export type Me = z.infer<typeof Me>;
