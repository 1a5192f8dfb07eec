/**
 * The frame every page slots into: the product bar (tenant switcher, role, who is signed in,
 * sign out) and the navigation built from the page registry, filtered by the member's rules.
 */
import type { ReactNode } from 'react';
import type { Me } from '@rc/contracts';
import { useAbility } from '../auth/ability';
import { useLogout } from '../auth/session';
import { Link, navigate, pagePath } from './router';
import { useTenant } from './tenant';
import type { PageDefinition } from './pages';

export function AppShell({
  me,
  pages,
  currentPage,
  children,
}: {
  me: Me;
  pages: PageDefinition[];
  currentPage: string;
  children: ReactNode;
}) {
  const tenant = useTenant();
  const ability = useAbility();
  const logout = useLogout();
  const visible = pages.filter((p) => ability.can(...p.permission));

  return (
    <div className="shell">
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Reliability Center
        </div>
        <label className="tenant-switcher">
          <span className="visually-hidden">Tenant</span>
          <select
            aria-label="Tenant"
            data-testid="tenant-switcher"
            value={tenant.slug}
            onChange={(e) => navigate(pagePath(e.target.value, currentPage))}
          >
            {me.memberships.map((m) => (
              <option key={m.tenantId} value={m.tenantSlug}>
                {m.tenantName} ({m.tenantSlug})
              </option>
            ))}
          </select>
        </label>
        <span className="role-badge" data-testid="current-role" title="Your role in this tenant">
          {tenant.info.role.replace('_', ' ')}
        </span>
        <span className="spacer" />
        <span className="who" data-testid="signed-in-as">
          {me.displayName} <span className="muted">{me.email}</span>
        </span>
        <button
          type="button"
          className="button subtle"
          onClick={() => logout.mutate()}
          disabled={logout.isPending}
        >
          Sign out
        </button>
      </header>
      <nav className="sidenav" aria-label="Main">
        {visible.map((p) => (
          <Link
            key={p.id}
            to={pagePath(tenant.slug, p.id)}
            className={p.id === currentPage ? 'active' : ''}
            aria-current={p.id === currentPage ? 'page' : undefined}
          >
            {p.label}
          </Link>
        ))}
      </nav>
      <main className="content">{children}</main>
    </div>
  );
}
