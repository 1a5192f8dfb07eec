import { Migration } from '@mikro-orm/migrations';
import { APP_ROLE } from './app-role';

/**
 * Module catalog (features = feature flags, dependencies between modules, external
 * integrations with their circuit breaker) and level-1 mitigations.
 * Composite foreign keys on (tenant_id, id) make a cross-tenant link impossible, even by hand.
 */
export class Migration0002CatalogAndMitigations extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table modules add constraint modules_tenant_id_id_key unique (tenant_id, id);`);

    this.addSql(`
      create table features (
        id uuid primary key,
        tenant_id uuid not null references tenants(id),
        module_id uuid not null,
        key text not null check (key ~ '^[a-z0-9][a-z0-9._-]{0,99}$'),
        description text not null default '',
        critical boolean not null default false,
        enabled boolean not null default true,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        unique (tenant_id, key),
        foreign key (tenant_id, module_id) references modules(tenant_id, id)
      );`);
    this.addSql(`create index features_module_idx on features(tenant_id, module_id);`);

    this.addSql(`
      create table module_dependencies (
        tenant_id uuid not null references tenants(id),
        module_id uuid not null,
        depends_on_id uuid not null,
        primary key (tenant_id, module_id, depends_on_id),
        check (module_id <> depends_on_id),
        foreign key (tenant_id, module_id) references modules(tenant_id, id),
        foreign key (tenant_id, depends_on_id) references modules(tenant_id, id)
      );`);

    this.addSql(`
      create table integrations (
        id uuid primary key,
        tenant_id uuid not null references tenants(id),
        name text not null check (name ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
        health_url text not null,
        breaker_state text not null default 'closed' check (breaker_state in ('closed','open','half_open')),
        breaker_reason text,
        breaker_changed_at timestamptz,
        created_at timestamptz not null default now(),
        unique (tenant_id, name),
        unique (tenant_id, id)
      );`);

    this.addSql(`
      create table module_integrations (
        tenant_id uuid not null references tenants(id),
        module_id uuid not null,
        integration_id uuid not null,
        primary key (tenant_id, module_id, integration_id),
        foreign key (tenant_id, module_id) references modules(tenant_id, id),
        foreign key (tenant_id, integration_id) references integrations(tenant_id, id)
      );`);

    // One row per mitigation run; the workflow is the source of truth for timing,
    // this row is what people and the API read (and what the snapshot is restored from).
    this.addSql(`
      create table mitigations (
        id uuid primary key,
        tenant_id uuid not null references tenants(id),
        kind text not null check (kind in ('degraded_mode','circuit_breaker')),
        target_id uuid not null,
        workflow_id text not null,
        status text not null check (status in ('active','ended')),
        reason text not null,
        requested_by text not null,
        requested_by_label text not null,
        trace_id text,
        snapshot jsonb not null default '{}'::jsonb,
        started_at timestamptz not null,
        ends_at timestamptz,
        ended_at timestamptz,
        end_reason text
      );`);
    // At most one active mitigation of a kind per target: the database backs the workflow id.
    this.addSql(
      `create unique index mitigations_one_active on mitigations(tenant_id, kind, target_id) where status = 'active';`,
    );
    this.addSql(`create index mitigations_recent on mitigations(tenant_id, started_at desc);`);

    for (const table of [
      'features',
      'module_dependencies',
      'integrations',
      'module_integrations',
      'mitigations',
    ]) {
      this.addSql(`alter table ${table} enable row level security;`);
      this.addSql(`
        create policy ${table}_tenant_isolation on ${table}
          using (tenant_id = rc_current_tenant())
          with check (tenant_id = rc_current_tenant());`);
    }

    this.addSql(`grant select, insert, update on features to ${APP_ROLE};`);
    this.addSql(`grant select, insert, delete on module_dependencies to ${APP_ROLE};`);
    this.addSql(`grant select, insert, update on integrations to ${APP_ROLE};`);
    this.addSql(`grant select, insert, delete on module_integrations to ${APP_ROLE};`);
    this.addSql(`grant select, insert, update on mitigations to ${APP_ROLE};`);
  }
}
