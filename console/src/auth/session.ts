import { useMutation, useQuery } from '@tanstack/react-query';
import type { Me } from '@rc/contracts';
import { api, hasCode, queryClient, queryKeys } from '../api/trpc';

/** Who is signed in; `signedOut` when the session cookie is missing or expired. */
export function useSession() {
  const query = useQuery({
    queryKey: queryKeys.me,
    queryFn: (): Promise<Me> => api.auth.me.query(),
    staleTime: 60_000,
    retry: false,
  });
  const signedOut = hasCode(query.error, 'ERR_UNAUTHENTICATED', 'ERR_FORBIDDEN');
  return { ...query, me: query.data ?? null, signedOut };
}

export function useLogin() {
  return useMutation({
    mutationFn: (input: { email: string; password: string }) => api.auth.login.mutate(input),
    onSuccess(me) {
      // Nothing cached for a previous session survives; who is signed in is the answer itself.
      queryClient.removeQueries({ queryKey: ['tenant'] });
      queryClient.setQueryData(queryKeys.me, me);
    },
  });
}

export function useLogout() {
  return useMutation({
    mutationFn: () => api.auth.logout.mutate(),
    onSettled() {
      queryClient.removeQueries({ queryKey: ['tenant'] });
      // Asks again (the observer stays attached): answers 401, which shows the login page.
      void queryClient.resetQueries({ queryKey: queryKeys.me });
    },
  });
}
