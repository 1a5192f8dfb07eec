import { Migration } from '@mikro-orm/migrations';
import { APP_ROLE } from './app-role';

/**
 * Foundation: tenants, users, memberships, sessions, API tokens, modules, audit log,
 * the application role, and row-level security on every tenant-owned table.
 */
export class Migration0001Foundation extends Migration {
  override async up(): Promise<void> {
    // The app role is cluster-wide; create it once, without login (ops gives it a password).
    this.addSql(`
      do $$ begin
        if not exists (select 1 from pg_roles where rolname = '${APP_ROLE}') then
          create role ${APP_ROLE} nologin nosuperuser nobypassrls nocreatedb nocreaterole;
        end if;
      end $$;`);

    // The tenant and user of the current transaction, set with set_config(..., true) (= SET LOCAL).
    this.addSql(`
      create function rc_current_tenant() returns uuid language sql stable as $$
        select nullif(current_setting('app.tenant_id', true), '')::uuid
      $$;`);
    this.addSql(`
      create function rc_current_user() returns uuid language sql stable as $$
        select nullif(current_setting('app.user_id', true), '')::uuid
      $$;`);

    this.addSql(`
      create table tenants (
        id uuid primary key,
        slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
        name text not null,
        created_at timestamptz not null default now()
      );`);
    this.addSql(`
      create table users (
        id uuid primary key,
        email text not null unique check (email = lower(email)),
        display_name text not null,
        password_hash text not null,
        created_at timestamptz not null default now()
      );`);
    this.addSql(`
      create table memberships (
        tenant_id uuid not null references tenants(id),
        user_id uuid not null references users(id),
        role text not null check (role in ('tenant_admin','operator','security_reviewer','auditor','viewer')),
        created_at timestamptz not null default now(),
        primary key (tenant_id, user_id)
      );`);
    this.addSql(`create index memberships_user_idx on memberships(user_id);`);
    this.addSql(`
      create table sessions (
        id text primary key, -- HMAC-SHA256 of the cookie value keyed with SESSION_SECRET; the cookie itself is never stored
        user_id uuid not null references users(id),
        created_at timestamptz not null default now(),
        expires_at timestamptz not null
      );`);
    this.addSql(`create index sessions_user_idx on sessions(user_id);`);
    this.addSql(`
      create table api_tokens (
        id uuid primary key,
        tenant_id uuid not null references tenants(id),
        name text not null,
        role text not null check (role in ('tenant_admin','operator','security_reviewer','auditor','viewer')),
        prefix text not null,
        secret_hash text not null unique,
        created_by uuid not null references users(id),
        created_at timestamptz not null default now(),
        expires_at timestamptz not null,
        last_used_at timestamptz,
        revoked_at timestamptz
      );`);
    this.addSql(`create index api_tokens_tenant_idx on api_tokens(tenant_id);`);
    this.addSql(`
      create table modules (
        id uuid primary key,
        tenant_id uuid not null references tenants(id),
        name text not null,
        owner_team text not null,
        criticality text not null check (criticality in ('critical','non_critical')),
        description text not null default '',
        status text not null default 'active' check (status in ('active','archived')),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        unique (tenant_id, name)
      );`);
    this.addSql(`
      create table audit_events (
        id uuid primary key,
        tenant_id uuid not null references tenants(id),
        seq bigint not null,
        actor_kind text not null check (actor_kind in ('user','api_token','system')),
        actor_id text,
        actor_label text not null,
        role text,
        action text not null,
        resource_type text not null,
        resource_id text,
        outcome text not null check (outcome in ('success','denied','failure')),
        reason text,
        details jsonb not null default '{}'::jsonb,
        request_id text,
        trace_id text,
        occurred_at timestamptz not null,
        prev_hash text not null,
        hash text not null,
        unique (tenant_id, seq)
      );`);
    this.addSql(`create index audit_events_action_idx on audit_events(tenant_id, action, seq desc);`);
    this.addSql(`create index audit_events_actor_idx on audit_events(tenant_id, actor_id, seq desc);`);

    // Append-only: nobody (the owner included, unless it disables the trigger on purpose) rewrites history.
    this.addSql(`
      create function rc_audit_events_append_only() returns trigger language plpgsql as $$
      begin
        raise exception 'audit_events is append-only (% refused)', tg_op using errcode = 'insufficient_privilege';
      end $$;`);
    this.addSql(`
      create trigger audit_events_append_only before update or delete on audit_events
      for each row execute function rc_audit_events_append_only();`);
    this.addSql(`
      create trigger audit_events_no_truncate before truncate on audit_events
      for each statement execute function rc_audit_events_append_only();`);

    // Login throttling state (rate-limiter-flexible's table layout), shared by every replica.
    this.addSql(`
      create table login_rate_limits (
        key varchar(255) primary key,
        points integer not null default 0,
        expire bigint
      );`);

    // Session resolution happens before any tenant is set: one narrow definer function
    // returns the session's user and, if asked, their role in one tenant. One round trip per request.
    this.addSql(`
      create function rc_resolve_session(p_session_hash text, p_tenant_slug text)
      returns table (user_id uuid, email text, display_name text, tenant_id uuid, tenant_slug text, role text)
      language sql stable security definer set search_path = public as $$
        select u.id, u.email, u.display_name, t.id, t.slug, m.role
          from sessions s
          join users u on u.id = s.user_id
          left join tenants t on t.slug = p_tenant_slug
          left join memberships m on m.tenant_id = t.id and m.user_id = u.id
         where s.id = p_session_hash and s.expires_at > now()
      $$;`);
    this.addSql(`revoke all on function rc_resolve_session(text, text) from public;`);

    // Row-level security on every tenant-owned table.
    for (const table of ['api_tokens', 'modules', 'audit_events']) {
      this.addSql(`alter table ${table} enable row level security;`);
      this.addSql(`
        create policy ${table}_tenant_isolation on ${table}
          using (tenant_id = rc_current_tenant())
          with check (tenant_id = rc_current_tenant());`);
    }
    // A member sees the memberships of the current tenant, and their own (to list their tenants).
    this.addSql(`alter table memberships enable row level security;`);
    this.addSql(`
      create policy memberships_read on memberships for select
        using (tenant_id = rc_current_tenant() or user_id = rc_current_user());`);
    this.addSql(`
      create policy memberships_write on memberships for all
        using (tenant_id = rc_current_tenant())
        with check (tenant_id = rc_current_tenant());`);

    // API token authentication happens before any tenant is known: a narrow definer
    // function finds one token by its hash and records its use, nothing more.
    this.addSql(`
      create function rc_authenticate_api_token(p_secret_hash text)
      returns table (id uuid, tenant_id uuid, tenant_slug text, name text, role text)
      language sql security definer set search_path = public as $$
        update api_tokens t set last_used_at = now()
          from tenants tn
         where t.secret_hash = p_secret_hash and t.revoked_at is null and t.expires_at > now()
           and tn.id = t.tenant_id
        returning t.id, t.tenant_id, tn.slug, t.name, t.role
      $$;`);
    this.addSql(`revoke all on function rc_authenticate_api_token(text) from public;`);

    // Grants: the minimum the application needs. No table ownership, no truncate, no delete on the audit log.
    this.addSql(`grant usage on schema public to ${APP_ROLE};`);
    this.addSql(`grant select on tenants to ${APP_ROLE};`);
    this.addSql(`grant select, insert, update on users to ${APP_ROLE};`);
    this.addSql(`grant select, insert, update, delete on memberships to ${APP_ROLE};`);
    this.addSql(`grant select, insert, delete on sessions to ${APP_ROLE};`);
    this.addSql(`grant select, insert, update on api_tokens to ${APP_ROLE};`);
    this.addSql(`grant select, insert, update on modules to ${APP_ROLE};`);
    this.addSql(`grant select, insert on audit_events to ${APP_ROLE};`);
    this.addSql(`grant execute on function rc_authenticate_api_token(text) to ${APP_ROLE};`);
    this.addSql(`grant select, insert, update, delete on login_rate_limits to ${APP_ROLE};`);
    this.addSql(`grant execute on function rc_resolve_session(text, text) to ${APP_ROLE};`);
    this.addSql(`grant execute on function rc_current_tenant() to ${APP_ROLE};`);
    this.addSql(`grant execute on function rc_current_user() to ${APP_ROLE};`);
  }
}
