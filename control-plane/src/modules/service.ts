import { randomUUID } from 'node:crypto';
import type { CreateModuleInput, ModuleView, UpdateModuleInput } from '@rc/contracts';
import { recordAudit } from '../audit/record';
import { inRequestTenant, readInRequestTenant } from '../db/request-tenant';
import { alreadyExistsOr, AppError, notFound } from '../errors';
import type { TenantRequest } from '../trpc/context';
import { ModuleSchema, type Module } from './entities';

export function toModuleView(module: Module): ModuleView {
  return {
    id: module.id,
    name: module.name,
    ownerTeam: module.ownerTeam,
    criticality: module.criticality,
    description: module.description,
    status: module.status,
    createdAt: module.createdAt.toISOString(),
    updatedAt: module.updatedAt.toISOString(),
  };
}

interface ModuleRow {
  id: string;
  tenant_id: string;
  name: string;
  owner_team: string;
  criticality: Module['criticality'];
  description: string;
  status: Module['status'];
  created_at: Date;
  updated_at: Date;
}

const MODULE_COLUMNS =
  'id, tenant_id, name, owner_team, criticality, description, status, created_at, updated_at';

function rowToModule(row: ModuleRow): Module {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    ownerTeam: row.owner_team,
    criticality: row.criticality,
    description: row.description,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The hottest read of the API: one read-only statement in one round trip (see db/tenant-read.ts). */
export async function listModules(request: TenantRequest, includeArchived: boolean): Promise<ModuleView[]> {
  const rows = await readInRequestTenant<ModuleRow>(
    request,
    (literal) => `select ${MODULE_COLUMNS} from modules
       where tenant_id = ${literal(request.tenantId)} and (${literal(includeArchived)} or status = 'active')
       order by name`,
  );
  return rows.map((row) => toModuleView(rowToModule(row)));
}

export async function getModule(request: TenantRequest, id: string): Promise<ModuleView> {
  const [row] = await readInRequestTenant<ModuleRow>(
    request,
    (literal) =>
      `select ${MODULE_COLUMNS} from modules where tenant_id = ${literal(request.tenantId)} and id = ${literal(id)}`,
  );
  if (!row) throw notFound('module');
  return toModuleView(rowToModule(row));
}

export async function createModule(request: TenantRequest, input: CreateModuleInput): Promise<ModuleView> {
  try {
    return await inRequestTenant(request, async (em) => {
      const now = new Date();
      const module: Module = {
        id: randomUUID(),
        tenantId: request.tenantId,
        name: input.name,
        ownerTeam: input.ownerTeam,
        criticality: input.criticality,
        description: input.description,
        status: 'active',
        createdAt: now,
        updatedAt: now,
      };
      await em.insert(ModuleSchema, module);
      await recordAudit(em, request, {
        action: 'module.create',
        resourceType: 'Module',
        resourceId: module.id,
        details: { name: module.name, criticality: module.criticality, ownerTeam: module.ownerTeam },
      });
      return toModuleView(module);
    });
  } catch (error) {
    throw alreadyExistsOr(error, 'name', `a module named "${input.name}" already exists`);
  }
}

export function updateModule(request: TenantRequest, input: UpdateModuleInput): Promise<ModuleView> {
  return inRequestTenant(request, async (em) => {
    const module = await em.findOne(ModuleSchema, { id: input.id });
    if (!module) throw notFound('module');
    const before = toModuleView(module);
    if (input.ownerTeam !== undefined) module.ownerTeam = input.ownerTeam;
    if (input.criticality !== undefined) module.criticality = input.criticality;
    if (input.description !== undefined) module.description = input.description;
    await em.flush();
    const after = toModuleView(module);
    await recordAudit(em, request, {
      action: 'module.update',
      resourceType: 'Module',
      resourceId: module.id,
      details: {
        before: {
          ownerTeam: before.ownerTeam,
          criticality: before.criticality,
          description: before.description,
        },
        after: { ownerTeam: after.ownerTeam, criticality: after.criticality, description: after.description },
      },
    });
    return after;
  });
}

export function archiveModule(request: TenantRequest, id: string, reason: string): Promise<ModuleView> {
  return inRequestTenant(request, async (em) => {
    const module = await em.findOne(ModuleSchema, { id });
    if (!module) throw notFound('module');
    if (module.status === 'archived') throw new AppError('ERR_CONFLICT', 'module is already archived');
    module.status = 'archived';
    await em.flush();
    await recordAudit(em, request, {
      action: 'module.archive',
      resourceType: 'Module',
      resourceId: module.id,
      reason,
    });
    return toModuleView(module);
  });
}
