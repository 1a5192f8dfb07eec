import { useQuery } from '@tanstack/react-query';
import type { MitigationView } from '@rc/contracts';
import { api, liveRefetchInterval, queryKeys } from '../api/trpc';

/** Active mitigations of the tenant (degraded modes and breakers), refreshed live. */
export function useActiveMitigations(tenant: string) {
  return useQuery({
    queryKey: queryKeys.mitigations(tenant),
    queryFn: (): Promise<MitigationView[]> => api.mitigations.list.query({ status: 'active', limit: 200 }),
    refetchInterval: liveRefetchInterval,
  });
}
