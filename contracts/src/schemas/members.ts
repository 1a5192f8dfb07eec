import { z } from 'zod';
import { ROLES } from '../roles';

export const MemberView = z.object({
  userId: z.uuid(),
  email: z.string(),
  displayName: z.string(),
  role: z.enum(ROLES),
});
export type MemberView = z.infer<typeof MemberView>;
