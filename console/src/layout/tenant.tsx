import { createContext, useContext } from 'react';
import type { TenantInfo } from '../api/trpc';

/** The tenant every page works in (from the URL), and the member's role and rules in it. */
export interface TenantScope {
  slug: string;
  name: string;
  info: TenantInfo;
}

export const TenantContext = createContext<TenantScope | null>(null);

export function useTenant(): TenantScope {
  const scope = useContext(TenantContext);
  if (!scope) throw new Error('useTenant() outside of a tenant');
  return scope;
}
