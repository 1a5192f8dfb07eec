import { Migration } from '@mikro-orm/migrations';
import { APP_ROLE } from './app-role';

/**
 * Hardens the SECURITY DEFINER functions and the users table:
 * - every definer function pins its search_path (pg_catalog first, pg_temp last), so no object
 *   a caller creates can shadow the ones the function means;
 * - session resolution names a tenant only to its members;
 * - API token authentication writes `last_used_at` at most once a minute, not on every request;
 * - the application role cannot read password hashes: login gets the one hash it needs
 *   through a narrow definer function.
 */
export class Migration0003HardenDefinerFunctions extends Migration {
  override async up(): Promise<void> {
    // The tenant columns are null unless the user is a member of the tenant named.
    this.addSql(`
      create or replace function rc_resolve_session(p_session_hash text, p_tenant_slug text)
      returns table (user_id uuid, email text, display_name text, tenant_id uuid, tenant_slug text, role text)
      language sql stable security definer set search_path = pg_catalog, public, pg_temp as $$
        select u.id, u.email, u.display_name, t.id, t.slug, m.role
          from sessions s
          join users u on u.id = s.user_id
          left join (memberships m join tenants t on t.id = m.tenant_id and t.slug = p_tenant_slug)
            on m.user_id = u.id
         where s.id = p_session_hash and s.expires_at > now()
      $$;`);

    // Reads the token; records its use only when the last record is missing or over a minute old
    // (the condition is re-checked on the row's latest version, so concurrent callers write once).
    this.addSql(`
      create or replace function rc_authenticate_api_token(p_secret_hash text)
      returns table (id uuid, tenant_id uuid, tenant_slug text, name text, role text)
      language sql volatile security definer set search_path = pg_catalog, public, pg_temp as $$
        with found as (
          select t.id, t.tenant_id, tn.slug, t.name, t.role
            from api_tokens t
            join tenants tn on tn.id = t.tenant_id
           where t.secret_hash = p_secret_hash and t.revoked_at is null and t.expires_at > now()
        ), touched as (
          update api_tokens t set last_used_at = now()
            from found f
           where t.id = f.id
             and (t.last_used_at is null or t.last_used_at < now() - interval '1 minute')
          returning t.id
        )
        select f.id, f.tenant_id, f.slug, f.name, f.role from found f
      $$;`);

    // Password hashes: readable only through this function, one account at a time.
    this.addSql(`
      create function rc_password_hash(p_email text)
      returns table (user_id uuid, password_hash text)
      language sql stable security definer set search_path = pg_catalog, public, pg_temp as $$
        select u.id, u.password_hash from users u where u.email = lower(p_email)
      $$;`);
    this.addSql(`revoke all on function rc_password_hash(text) from public;`);
    this.addSql(`grant execute on function rc_password_hash(text) to ${APP_ROLE};`);

    // The application never writes users (the seed runs as the owner) and reads only these columns.
    this.addSql(`revoke all on users from ${APP_ROLE};`);
    this.addSql(`grant select (id, email, display_name, created_at) on users to ${APP_ROLE};`);
  }
}
