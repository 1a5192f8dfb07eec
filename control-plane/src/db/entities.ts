import { ApiTokenSchema } from '../api-tokens/entities';
import { AuditEventSchema } from '../audit/entities';
import { SessionSchema, UserSchema } from '../auth/entities';
import { ModuleSchema } from '../modules/entities';
import { MembershipSchema, TenantSchema } from '../tenants/entities';

/** Every entity the ORM knows; each feature owns its own schema file. */
export const ENTITIES = [
  TenantSchema,
  MembershipSchema,
  UserSchema,
  SessionSchema,
  ApiTokenSchema,
  ModuleSchema,
  AuditEventSchema,
];
