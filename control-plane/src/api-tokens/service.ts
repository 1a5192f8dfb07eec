import { randomUUID } from 'node:crypto';
import type { ApiTokenView, CreateApiTokenInput } from '@rc/contracts';
import { API_TOKEN_PREFIX } from '../auth/authenticate';
import { newSecret, secretHash } from '../auth/secrets';
import { recordAudit } from '../audit/record';
import { inRequestTenant } from '../db/request-tenant';
import { AppError, notFound } from '../errors';
import type { TenantRequest } from '../trpc/context';
import { ApiTokenSchema, type ApiToken } from './entities';

function toView(token: ApiToken): ApiTokenView {
  return {
    id: token.id,
    name: token.name,
    role: token.role,
    prefix: token.prefix,
    createdAt: token.createdAt.toISOString(),
    expiresAt: token.expiresAt.toISOString(),
    lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
    revokedAt: token.revokedAt?.toISOString() ?? null,
  };
}

export function listApiTokens(request: TenantRequest): Promise<ApiTokenView[]> {
  return inRequestTenant(request, async (em) =>
    (await em.find(ApiTokenSchema, {}, { orderBy: { createdAt: 'desc' } })).map(toView),
  );
}

/** Creates a token for automation in this tenant. The secret is returned once and only its keyed hash is kept. */
export function createApiToken(request: TenantRequest, input: CreateApiTokenInput) {
  if (request.actor.kind !== 'user' || !request.actor.userId) {
    throw new AppError('ERR_FORBIDDEN', 'API tokens are created by people, not by other tokens');
  }
  const createdBy = request.actor.userId;
  return inRequestTenant(request, async (em) => {
    const secret = newSecret(API_TOKEN_PREFIX);
    const now = new Date();
    const token: ApiToken = {
      id: randomUUID(),
      tenantId: request.tenantId,
      name: input.name,
      role: input.role,
      prefix: secret.slice(0, API_TOKEN_PREFIX.length + 6),
      secretHash: secretHash(request.deps.config.sessionSecret, secret),
      createdBy,
      createdAt: now,
      expiresAt: new Date(now.getTime() + input.expiresInDays * 24 * 60 * 60 * 1000),
      lastUsedAt: null,
      revokedAt: null,
    };
    await em.insert(ApiTokenSchema, token);
    await recordAudit(em, request, {
      action: 'api_token.create',
      resourceType: 'ApiToken',
      resourceId: token.id,
      details: { name: token.name, role: token.role, expiresAt: token.expiresAt.toISOString() },
    });
    return { token: toView(token), secret };
  });
}

export function revokeApiToken(request: TenantRequest, id: string): Promise<ApiTokenView> {
  return inRequestTenant(request, async (em) => {
    const token = await em.findOne(ApiTokenSchema, { id });
    if (!token) throw notFound('API token');
    if (token.revokedAt) throw new AppError('ERR_CONFLICT', 'token is already revoked');
    token.revokedAt = new Date();
    await em.flush();
    await recordAudit(em, request, {
      action: 'api_token.revoke',
      resourceType: 'ApiToken',
      resourceId: token.id,
    });
    return toView(token);
  });
}
