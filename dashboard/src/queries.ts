// TanStack Query: the one client, its key factory, and a hook per read or write. Only this
// module fetches; components take data and callbacks.
import {
  keepPreviousData,
  MutationCache,
  QueryCache,
  QueryClient,
  useMutation,
  useQuery,
  useQueryClient,
} from '@tanstack/react-query';
import { useSyncExternalStore } from 'react';
import * as api from './api';
import { ApiError } from './api';
import type { ViewState } from './url-state';
import { filterKey, toFilterQuery, toJobsQuery } from './url-state';

export const LIVE_INTERVAL_MS = 5000;
// A summary reads every matching job (about 6 s for a million of them), so while live it is
// refreshed less often than the table, lest one open page keep a worker busy.
export const LIVE_SUMMARY_INTERVAL_MS = 30000;

export const keys = {
  session: ['session'] as const,
  jobs: ['jobs'] as const,
  jobList: (state: ViewState) =>
    ['jobs', 'list', filterKey(state), state.orderby, state.order, state.perPage, state.page] as const,
  summary: (state: ViewState) => ['jobs', 'summary', filterKey(state)] as const,
  job: (jobId: number) => ['jobs', 'detail', jobId] as const,
  jobItems: (jobId: number, page: number) => ['processed-items', 'job', jobId, page] as const,
  itemCount: (scope: 'flow' | 'pipeline', id: number) => ['processed-items', 'count', scope, id] as const,
  audit: (page: number, perPage: number) => ['audit', page, perPage] as const,
};

/** The service does not answer: no response at all, or a proxy in front says it got none. */
export function isUnreachable(error: unknown): error is ApiError {
  return error instanceof ApiError && (error.isNetwork || [502, 504].includes(error.status));
}

/** Errors that go away by themselves: the database is down, or the service is unreachable. */
export function isTransient(error: unknown): error is ApiError {
  return isUnreachable(error) || (error instanceof ApiError && error.code === 'database_unavailable');
}

/** Errors that mean the session is gone (expired, signed out elsewhere, a stale nonce). */
export function isSessionEnded(error: unknown): boolean {
  return (
    error instanceof ApiError &&
    (error.code === 'rest_not_logged_in' ||
      error.code === 'rest_cookie_invalid_nonce' ||
      (error.status === 401 && error.code !== 'invalid_credentials' && error.code !== 'too_many_auth_failures'))
  );
}

export function isForbidden(error: unknown): boolean {
  return error instanceof ApiError && error.code === 'rest_forbidden';
}

/** Back off 1 s, 2 s, 4 s ... up to 30 s, or as long as Retry-After asks. */
export function retryDelay(attempt: number, error: unknown): number {
  const backoff = Math.min(1000 * 2 ** attempt, 30_000);
  return error instanceof ApiError && error.retryAfter !== null
    ? Math.max(error.retryAfter * 1000, 1000)
    : backoff;
}

export interface SessionState {
  session: api.Session | null;
  /** Why there is no session: the page just opened (null), or it ended under the person. */
  ended: 'expired' | 'signed-out' | null;
}

function endSession(client: QueryClient, ended: SessionState['ended']) {
  api.nonceMiddleware.nonce = '';
  client.setQueryData<SessionState>(keys.session, { session: null, ended });
  client.removeQueries({ predicate: (query) => query.queryKey[0] !== keys.session[0] });
}

/** The page's QueryClient: transient errors retry until they pass; a lost session signs out. */
export function createQueryClient(): QueryClient {
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({
      onError: (error, query) => {
        if (query.queryKey[0] !== keys.session[0] && isSessionEnded(error)) endSession(client, 'expired');
      },
    }),
    mutationCache: new MutationCache({
      onError: (error, _variables, _context, mutation) => {
        if (!mutation.meta?.sessionRoute && isSessionEnded(error)) endSession(client, 'expired');
      },
    }),
    defaultOptions: {
      queries: {
        retry: (_count, error) => isTransient(error),
        retryDelay,
        refetchOnWindowFocus: false,
        staleTime: 2000,
      },
      mutations: {
        retry: (count, error) => isTransient(error) && count < 3,
        retryDelay,
      },
    },
  });
  return client;
}

// Health of the service, as the banners show it ---------------------------------------------

export type Health = 'ok' | 'database' | 'network';

export function healthOf(client: QueryClient): Health {
  let health: Health = 'ok';
  for (const query of client.getQueryCache().getAll()) {
    const error = query.state.fetchFailureReason ?? (query.state.status === 'error' ? query.state.error : null);
    if (!isTransient(error)) continue;
    if (isUnreachable(error)) return 'network';
    health = 'database';
  }
  return health;
}

/** 'database' or 'network' while some query is failing for that reason and retrying; else 'ok'. */
export function useServiceHealth(): Health {
  const client = useQueryClient();
  return useSyncExternalStore(
    (notify) => client.getQueryCache().subscribe(notify),
    () => healthOf(client),
  );
}

// Session ----------------------------------------------------------------------------------

export function useSession() {
  return useQuery({
    queryKey: keys.session,
    queryFn: async (): Promise<SessionState> => {
      const session = await api.getSession();
      api.nonceMiddleware.nonce = session?.nonce ?? '';
      return { session, ended: null };
    },
    staleTime: Infinity,
  });
}

export function useSignIn() {
  const client = useQueryClient();
  return useMutation({
    meta: { sessionRoute: true },
    mutationFn: ({ username, password }: { username: string; password: string }) =>
      api.signIn(username, password),
    retry: false,
    onSuccess: (session) => {
      api.nonceMiddleware.nonce = session.nonce;
      client.removeQueries({ predicate: (query) => query.queryKey[0] !== keys.session[0] });
      client.setQueryData<SessionState>(keys.session, { session, ended: null });
    },
  });
}

export function useSignOut() {
  const client = useQueryClient();
  return useMutation({
    meta: { sessionRoute: true },
    mutationFn: api.signOut,
    onSettled: () => endSession(client, 'signed-out'),
  });
}

// Jobs -------------------------------------------------------------------------------------

export function useJobs(state: ViewState, live: boolean) {
  return useQuery({
    queryKey: keys.jobList(state),
    queryFn: () => api.listJobs(toJobsQuery(state, Date.now())),
    placeholderData: keepPreviousData,
    refetchInterval: live ? LIVE_INTERVAL_MS : false,
  });
}

export function useSummary(state: ViewState, live: boolean) {
  return useQuery({
    queryKey: keys.summary(state),
    queryFn: () => api.getSummary({ ...toFilterQuery(state, Date.now()), group_by: 'flow_id' }),
    placeholderData: keepPreviousData,
    refetchInterval: live ? LIVE_SUMMARY_INTERVAL_MS : false,
  });
}

export function useJob(jobId: number, live: boolean) {
  return useQuery({
    queryKey: keys.job(jobId),
    queryFn: () => api.getJob(jobId),
    refetchInterval: live ? LIVE_INTERVAL_MS : false,
  });
}

export const JOB_ITEMS_PER_PAGE = 10;

export function useJobItems(jobId: number, page: number, live: boolean) {
  return useQuery({
    queryKey: keys.jobItems(jobId, page),
    queryFn: () => api.listProcessedItems({ job_id: jobId, page, per_page: JOB_ITEMS_PER_PAGE }),
    placeholderData: keepPreviousData,
    refetchInterval: live ? LIVE_INTERVAL_MS : false,
  });
}

/** After a write every answer may have changed: refetch all but the session. */
function invalidateAll(client: QueryClient) {
  return client.invalidateQueries({ predicate: (query) => query.queryKey[0] !== keys.session[0] });
}

export function useClearPreview() {
  return useMutation({ mutationFn: api.previewClearJobs });
}

export function useClearJobs() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ request, key }: { request: api.ClearJobsRequest; key: string }) =>
      api.clearJobs(request, key),
    onSuccess: () => invalidateAll(client),
  });
}

// Processed items --------------------------------------------------------------------------

export function useProcessedItemCount(scope: 'flow' | 'pipeline', id: number | null) {
  return useQuery({
    queryKey: keys.itemCount(scope, id ?? 0),
    queryFn: async () =>
      (await api.listProcessedItems({ [`${scope}_id`]: id, per_page: 1 })).total,
    enabled: id !== null,
    staleTime: 0,
  });
}

export function useClearProcessedItems() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ request, key }: { request: api.ClearItemsRequest; key: string }) =>
      api.clearProcessedItems(request, key),
    onSuccess: () => invalidateAll(client),
  });
}

// Audit ------------------------------------------------------------------------------------

export function useAudit(page: number, perPage: number) {
  return useQuery({
    queryKey: keys.audit(page, perPage),
    queryFn: () => api.listAudit({ per_page: perPage, offset: (page - 1) * perPage }),
    placeholderData: keepPreviousData,
  });
}
