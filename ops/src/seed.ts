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

/** The id of the tenant's row with that natural key: the one just inserted, or the one already there. */
async function idByKey(
  client: pg.ClientBase,
  table: 'modules' | 'features' | 'integrations',
  keyColumn: 'name' | 'key',
  tenantId: string,
  key: string,
): Promise<string> {
  const { rows } = await client.query<{ id: string }>(
    `select id from ${table} where tenant_id = $1 and ${keyColumn} = $2`,
    [tenantId, key],
  );
  return rows[0]!.id;
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
    modules[module.name] = await idByKey(client, 'modules', 'name', tenantId, module.name);
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
    features[feature.key] = await idByKey(client, 'features', 'key', tenantId, feature.key);
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
    const id = await idByKey(client, 'integrations', 'name', tenantId, integration.name);
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
    {
      name: 'portal',
      ownerTeam: 'customer-experience',
      criticality: 'critical',
      description: 'Customer portal: documents and invoices',
    },
  ],
  globex: [
    { name: 'checkout', ownerTeam: 'commerce', criticality: 'critical', description: 'Cart and checkout' },
    { name: 'search', ownerTeam: 'discovery', criticality: 'non_critical', description: 'Catalogue search' },
    { name: 'reporting', ownerTeam: 'data', criticality: 'non_critical', description: 'Nightly reports' },
    { name: 'inventory', ownerTeam: 'supply-chain', criticality: 'critical', description: 'Stock levels' },
  ],
};

/**
 * The demo catalog graph (acyclic; read "a depends on b"). Blast radius of acme's storage:
 * ocr and billing, then portal through both; of globex's inventory: checkout and search, then reporting.
 * Health URLs are demo placeholders on 127.0.0.1 where nothing listens: a breaker probing
 * them finds them unhealthy until they are pointed at a real service.
 */
const DEMO_GRAPH: Record<string, Pick<SeedTenant, 'features' | 'dependencies' | 'integrations'>> = {
  acme: {
    features: [
      { module: 'billing', key: 'billing.invoices', critical: true, description: 'Issue invoices' },
      { module: 'billing', key: 'billing.exports', critical: false, description: 'Accounting exports' },
      { module: 'billing', key: 'billing.dunning-emails', critical: false, description: 'Payment reminders' },
      { module: 'ocr', key: 'ocr.text-extraction', critical: true, description: 'Extract text from scans' },
      { module: 'ocr', key: 'ocr.auto-entry', critical: false, description: 'Pre-fill forms from scans' },
      { module: 'ocr', key: 'ocr.batch-import', critical: false, description: 'Bulk document import' },
      { module: 'storage', key: 'storage.uploads', critical: true, description: 'Store uploaded files' },
      { module: 'storage', key: 'storage.thumbnails', critical: false, description: 'Preview images' },
      {
        module: 'notifications',
        key: 'notifications.email',
        critical: true,
        description: 'Transactional e-mail',
      },
      { module: 'notifications', key: 'notifications.sms', critical: false, description: 'SMS alerts' },
      { module: 'notifications', key: 'notifications.digest', critical: false, description: 'Weekly digest' },
      { module: 'portal', key: 'portal.login', critical: true, description: 'Customer sign-in' },
      { module: 'portal', key: 'portal.document-upload', critical: false, description: 'Upload documents' },
    ],
    dependencies: [
      ['ocr', 'storage'],
      ['billing', 'storage'],
      ['billing', 'notifications'],
      ['portal', 'billing'],
      ['portal', 'ocr'],
    ],
    integrations: [
      { name: 'payment-provider', healthUrl: 'http://127.0.0.1:9101/health', usedBy: ['billing'] },
      { name: 'sms-provider', healthUrl: 'http://127.0.0.1:9102/health', usedBy: ['notifications'] },
      { name: 'object-store', healthUrl: 'http://127.0.0.1:9103/health', usedBy: ['storage'] },
    ],
  },
  globex: {
    features: [
      { module: 'checkout', key: 'checkout.cart', critical: true, description: 'Shopping cart' },
      { module: 'checkout', key: 'checkout.payment', critical: true, description: 'Card payment' },
      {
        module: 'checkout',
        key: 'checkout.gift-cards',
        critical: false,
        description: 'Gift card redemption',
      },
      { module: 'search', key: 'search.query', critical: true, description: 'Full-text search' },
      { module: 'search', key: 'search.suggestions', critical: false, description: 'Type-ahead suggestions' },
      { module: 'reporting', key: 'reporting.nightly', critical: false, description: 'Nightly sales report' },
      { module: 'reporting', key: 'reporting.csv-export', critical: false, description: 'CSV downloads' },
      { module: 'inventory', key: 'inventory.stock-levels', critical: true, description: 'Live stock' },
      {
        module: 'inventory',
        key: 'inventory.restock-alerts',
        critical: false,
        description: 'Low-stock alerts',
      },
    ],
    dependencies: [
      ['checkout', 'inventory'],
      ['search', 'inventory'],
      ['reporting', 'checkout'],
    ],
    integrations: [
      { name: 'payment-gateway', healthUrl: 'http://127.0.0.1:9201/health', usedBy: ['checkout'] },
      { name: 'warehouse-api', healthUrl: 'http://127.0.0.1:9202/health', usedBy: ['inventory'] },
      { name: 'email-relay', healthUrl: 'http://127.0.0.1:9203/health', usedBy: ['reporting'] },
    ],
  },
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
      await seedTenant(client, { slug, name, users, modules: DEMO_MODULES[slug] ?? [], ...DEMO_GRAPH[slug] });
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
