import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { hashPassword } from '@rc/control-plane';
import { ROLES, type Role } from '@rc/contracts';

export interface SeedModule {
  name: string;
  ownerTeam: string;
  criticality: 'critical' | 'non_critical';
  description?: string;
}

export interface SeedFeature {
  module: string;
  key: string;
  critical: boolean;
  enabled?: boolean;
  description?: string;
}

export interface SeedIntegration {
  name: string;
  healthUrl: string;
  /** modules that call it */
  usedBy: string[];
}

export interface SeedTenant {
  slug: string;
  name: string;
  users: Array<{ email: string; displayName: string; role: Role; password: string }>;
  modules: SeedModule[];
  features?: SeedFeature[];
  /** [module, module it depends on] */
  dependencies?: Array<[string, string]>;
  integrations?: SeedIntegration[];
}

export interface SeededTenant {
  tenantId: string;
  users: Record<string, string>; // email -> user id
  modules: Record<string, string>; // module name -> id
  features: Record<string, string>; // flag key -> id
  integrations: Record<string, string>; // integration name -> id
}

/**
 * Writes a tenant, its members and modules as the database owner, idempotently
 * (existing rows are kept, not duplicated). Used by the demo seed and by tests.
 */
export async function seedTenant(client: pg.ClientBase, spec: SeedTenant): Promise<SeededTenant> {
  await client.query(
    'insert into tenants (id, slug, name) values ($1, $2, $3) on conflict (slug) do nothing',
    [randomUUID(), spec.slug, spec.name],
  );
  const tenantId = (await client.query<{ id: string }>('select id from tenants where slug = $1', [spec.slug]))
    .rows[0]!.id;
  const users: Record<string, string> = {};
  for (const user of spec.users) {
    const email = user.email.toLowerCase();
    const existing = await client.query<{ id: string }>('select id from users where email = $1', [email]);
    let userId = existing.rows[0]?.id;
    if (!userId) {
      userId = randomUUID();
      await client.query(
        'insert into users (id, email, display_name, password_hash) values ($1, $2, $3, $4)',
        [userId, email, user.displayName, await hashPassword(user.password)],
      );
    }
    await client.query(
      'insert into memberships (tenant_id, user_id, role) values ($1, $2, $3) on conflict (tenant_id, user_id) do nothing',
      [tenantId, userId, user.role],
    );
    users[email] = userId;
  }
  const modules: Record<string, string> = {};
  for (const module of spec.modules) {
    await client.query(
      `insert into modules (id, tenant_id, name, owner_team, criticality, description)
       values ($1, $2, $3, $4, $5, $6) on conflict (tenant_id, name) do nothing`,
      [randomUUID(), tenantId, module.name, module.ownerTeam, module.criticality, module.description ?? ''],
    );
    modules[module.name] = (
      await client.query<{ id: string }>('select id from modules where tenant_id = $1 and name = $2', [
        tenantId,
        module.name,
      ])
    ).rows[0]!.id;
  }
  const moduleId = (name: string) => {
    const id = modules[name];
    if (!id) throw new Error(`seed refers to unknown module ${name}`);
    return id;
  };
  const features: Record<string, string> = {};
  for (const feature of spec.features ?? []) {
    await client.query(
      `insert into features (id, tenant_id, module_id, key, description, critical, enabled)
       values ($1, $2, $3, $4, $5, $6, $7) on conflict (tenant_id, key) do nothing`,
      [
        randomUUID(),
        tenantId,
        moduleId(feature.module),
        feature.key,
        feature.description ?? '',
        feature.critical,
        feature.enabled ?? true,
      ],
    );
    features[feature.key] = (
      await client.query<{ id: string }>('select id from features where tenant_id = $1 and key = $2', [
        tenantId,
        feature.key,
      ])
    ).rows[0]!.id;
  }
  for (const [from, to] of spec.dependencies ?? []) {
    await client.query(
      `insert into module_dependencies (tenant_id, module_id, depends_on_id) values ($1, $2, $3) on conflict do nothing`,
      [tenantId, moduleId(from), moduleId(to)],
    );
  }
  const integrations: Record<string, string> = {};
  for (const integration of spec.integrations ?? []) {
    await client.query(
      `insert into integrations (id, tenant_id, name, health_url) values ($1, $2, $3, $4) on conflict (tenant_id, name) do nothing`,
      [randomUUID(), tenantId, integration.name, integration.healthUrl],
    );
    const id = (
      await client.query<{ id: string }>('select id from integrations where tenant_id = $1 and name = $2', [
        tenantId,
        integration.name,
      ])
    ).rows[0]!.id;
    integrations[integration.name] = id;
    for (const user of integration.usedBy) {
      await client.query(
        `insert into module_integrations (tenant_id, module_id, integration_id) values ($1, $2, $3) on conflict do nothing`,
        [tenantId, moduleId(user), id],
      );
    }
  }
  return { tenantId, users, modules, features, integrations };
}

/** One member per role, e.g. operator@acme.example. */
export function usersForEveryRole(slug: string, password: string): SeedTenant['users'] {
  return ROLES.map((role) => ({
    email: `${role.replace('_', '-')}@${slug}.example`,
    displayName: `${slug} ${role.replace('_', ' ')}`,
    role,
    password,
  }));
}

const DEMO_MODULES: Record<string, SeedModule[]> = {
  acme: [
    {
      name: 'billing',
      ownerTeam: 'payments',
      criticality: 'critical',
      description: 'Invoices and payment collection',
    },
    {
      name: 'ocr',
      ownerTeam: 'documents',
      criticality: 'non_critical',
      description: 'Document text extraction',
    },
    {
      name: 'storage',
      ownerTeam: 'platform',
      criticality: 'critical',
      description: 'Object storage gateway',
    },
    {
      name: 'notifications',
      ownerTeam: 'engagement',
      criticality: 'non_critical',
      description: 'E-mail and SMS',
    },
  ],
  globex: [
    { name: 'checkout', ownerTeam: 'commerce', criticality: 'critical', description: 'Cart and checkout' },
    { name: 'search', ownerTeam: 'discovery', criticality: 'non_critical', description: 'Catalogue search' },
    { name: 'reporting', ownerTeam: 'data', criticality: 'non_critical', description: 'Nightly reports' },
  ],
};

/** The demo data of `npm start`: tenants acme and globex, one user per role each, a few modules. */
export async function seedDemo(options: { ownerUrl: string; demoPassword: string }) {
  const client = new pg.Client({ connectionString: options.ownerUrl });
  await client.connect();
  try {
    const logins: Array<{ tenant: string; email: string; role: Role; password: string }> = [];
    for (const [slug, name] of [
      ['acme', 'Acme Corp'],
      ['globex', 'Globex'],
    ] as const) {
      const users = usersForEveryRole(slug, options.demoPassword);
      await client.query('begin');
      await seedTenant(client, { slug, name, users, modules: DEMO_MODULES[slug] ?? [] });
      await client.query('commit');
      logins.push(
        ...users.map((u) => ({ tenant: slug, email: u.email, role: u.role, password: u.password })),
      );
    }
    return { logins };
  } finally {
    await client.end();
  }
}
