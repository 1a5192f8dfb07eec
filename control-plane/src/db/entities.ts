import { ApiTokenSchema } from '../api-tokens/entities';
import { AuditEventSchema } from '../audit/entities';
import {
  FeatureSchema,
  IntegrationSchema,
  ModuleDependencySchema,
  ModuleIntegrationSchema,
} from '../catalog/entities';
import { MitigationSchema } from '../mitigations/entities';
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
  FeatureSchema,
  ModuleDependencySchema,
  IntegrationSchema,
  ModuleIntegrationSchema,
  MitigationSchema,
];
