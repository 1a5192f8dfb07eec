import { useQuery } from '@tanstack/react-query';
import type { BlastRadius, CatalogGraph } from '@rc/contracts';
import { api, liveRefetchInterval, queryKeys } from '../api/trpc';

export function useCatalogGraph(tenant: string) {
  return useQuery({
    queryKey: queryKeys.graph(tenant),
    queryFn: (): Promise<CatalogGraph> => api.catalog.graph.query(),
    refetchInterval: liveRefetchInterval,
  });
}

export function useBlastRadius(tenant: string, moduleId: string | null) {
  return useQuery({
    queryKey: queryKeys.blastRadius(tenant, moduleId ?? ''),
    queryFn: (): Promise<BlastRadius> => api.catalog.blastRadius.query({ moduleId: moduleId! }),
    enabled: moduleId !== null,
    refetchInterval: liveRefetchInterval,
  });
}
