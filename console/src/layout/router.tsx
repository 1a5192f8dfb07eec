/**
 * A deliberately small router: the path is the state, `navigate` pushes history, `<Link>` is an
 * anchor that does not reload. Paths are `/t/<tenant>/<page>`; the control plane answers every
 * such path with index.html, so links and reloads work.
 */
import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

const CHANGE = 'rc:navigate';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  window.addEventListener(CHANGE, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(CHANGE, onChange);
  };
}

export function usePathname(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname);
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === window.location.pathname) return;
  if (options.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.dispatchEvent(new Event(CHANGE));
}

export interface Route {
  tenant: string | null;
  page: string | null;
}

/** `/t/acme/audit` → { tenant: 'acme', page: 'audit' } */
export function parseRoute(pathname: string): Route {
  const match = /^\/t\/([a-z0-9][a-z0-9-]*)(?:\/([a-z0-9-]+))?\/?$/.exec(pathname);
  return { tenant: match?.[1] ?? null, page: match?.[2] ?? null };
}

export function pagePath(tenant: string, page: string): string {
  return `/t/${tenant}/${page}`;
}

export function Link({ to, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  const follow = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey)
      return;
    event.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={follow} {...rest} />;
}
