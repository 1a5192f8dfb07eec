/**
 * The console: signed out → login; signed in → the tenant named in the URL (or the last one used),
 * its role and CASL rules from `tenants.current`, and the page the URL names inside the shell.
 */
import { useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, type ReactNode } from 'react';
import { abilityFromRules, type Me } from '@rc/contracts';
import { api, problemOf, queryClient, queryKeys, setRequestTenant, type TenantInfo } from './api/trpc';
import { AuditPage } from './audit/AuditPage';
import { AbilityProvider } from './auth/ability';
import { LoginPage } from './auth/LoginPage';
import { useLogout, useSession } from './auth/session';
import { AppShell } from './layout/AppShell';
import type { PageDefinition } from './layout/pages';
import { ProblemMessage } from './layout/ProblemMessage';
import { navigate, pagePath, parseRoute, usePathname } from './layout/router';
import { TenantContext } from './layout/tenant';
import { ModulesPage } from './modules/ModulesPage';

/** Pages slot in here; the navigation shows those the member's rules allow. */
const PAGES: PageDefinition[] = [
  { id: 'modules', label: 'Modules', permission: ['read', 'Module'], Component: ModulesPage },
  { id: 'audit', label: 'Audit log', permission: ['read', 'AuditEvent'], Component: AuditPage },
];

const LAST_TENANT = 'rc.lastTenant';

export function App() {
  const session = useSession();
  if (session.isPending) return <p className="splash">Reliability Center…</p>;
  if (session.signedOut) return <LoginPage />;
  if (!session.me)
    return (
      <Centered>
        <ProblemMessage problem={problemOf(session.error)} what="your session" />
      </Centered>
    );
  return <SignedIn me={session.me} />;
}

function Centered({ children }: { children: ReactNode }) {
  return (
    <main className="login">
      <div className="login-card">{children}</div>
    </main>
  );
}

function SignedIn({ me }: { me: Me }) {
  const route = parseRoute(usePathname());
  const logout = useLogout();
  const remembered = localStorage.getItem(LAST_TENANT);
  const membership =
    me.memberships.find((m) => m.tenantSlug === route.tenant) ??
    me.memberships.find((m) => m.tenantSlug === remembered) ??
    me.memberships[0];

  useEffect(() => {
    if (membership && route.tenant !== membership.tenantSlug) {
      navigate(pagePath(membership.tenantSlug, route.page ?? PAGES[0]!.id), { replace: true });
    }
  }, [membership, route.tenant, route.page]);

  if (!membership) {
    return (
      <Centered>
        <p>{me.email} is not a member of any tenant.</p>
        <button type="button" className="button" onClick={() => logout.mutate()}>
          Sign out
        </button>
      </Centered>
    );
  }
  if (route.tenant !== membership.tenantSlug) return null;
  // Set before the tenant's queries run (they start after this render).
  setRequestTenant(membership.tenantSlug);
  localStorage.setItem(LAST_TENANT, membership.tenantSlug);
  return (
    <TenantScope
      key={membership.tenantSlug}
      me={me}
      slug={membership.tenantSlug}
      name={membership.tenantName}
      page={route.page}
    />
  );
}

function TenantScope({ me, slug, name, page }: { me: Me; slug: string; name: string; page: string | null }) {
  const current = useQuery({
    queryKey: queryKeys.current(slug),
    queryFn: (): Promise<TenantInfo> => api.tenants.current.query(),
    staleTime: 60_000,
  });
  // Nothing cached for another tenant outlives a switch (idempotent, so StrictMode's double run is harmless).
  useEffect(() => {
    queryClient.removeQueries({ predicate: (q) => q.queryKey[0] === 'tenant' && q.queryKey[1] !== slug });
  }, [slug]);

  const ability = useMemo(() => (current.data ? abilityFromRules(current.data.rules) : null), [current.data]);
  const allowed = ability ? PAGES.filter((p) => ability.can(...p.permission)) : [];
  const active = allowed.find((p) => p.id === page) ?? allowed[0];

  useEffect(() => {
    if (active && page !== active.id) navigate(pagePath(slug, active.id), { replace: true });
  }, [active, page, slug]);

  if (current.isPending) return <p className="splash">Opening {name}…</p>;
  if (current.isError) {
    return (
      <Centered>
        <ProblemMessage problem={problemOf(current.error)} what={`tenant ${slug}`} />
      </Centered>
    );
  }
  const scope = { slug, name, info: current.data };
  return (
    <TenantContext.Provider value={scope}>
      <AbilityProvider ability={ability!}>
        <AppShell me={me} pages={PAGES} currentPage={active?.id ?? ''}>
          {active ? <active.Component /> : <p className="muted">Your role has no page to show here.</p>}
        </AppShell>
      </AbilityProvider>
    </TenantContext.Provider>
  );
}
