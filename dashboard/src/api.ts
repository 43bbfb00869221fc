// Every call to the service, typed. Requests go through a small chain of middlewares in the
// manner of @wordpress/api-fetch (root URL, nonce), over fetch itself: api-fetch's default
// chain would turn DELETE into POST + X-HTTP-Method-Override, which this service does not
// honour, its nonce refresh expects WordPress's admin-ajax endpoint, and its errors drop the
// HTTP status and Retry-After that this page acts on.

export interface Job {
  job_id: number;
  flow_id: number;
  pipeline_id: number;
  status: string;
  started_at: string | null;
  completed_at: string | null;
  error_message: string | null;
}

export interface JobPage {
  jobs: Job[];
  total: number;
}

export type BaseStatus =
  | 'pending'
  | 'processing'
  | 'completed'
  | 'completed_no_items'
  | 'agent_skipped'
  | 'failed'
  | 'cancelled';

export interface Durations {
  avg: number | null;
  p50: number | null;
  p95: number | null;
  max: number | null;
}

export interface Stats {
  total: number;
  by_status: Record<BaseStatus, number>;
  success_rate: number | null;
  duration_seconds: Durations;
}

export interface Summary extends Stats {
  groups?: (Stats & { flow_id?: number; pipeline_id?: number })[];
}

export interface ProcessedItem {
  id: number;
  flow_step_id: string;
  source_type: string;
  item_identifier: string;
  job_id: number;
  processed_at: string;
}

export interface ProcessedItemPage {
  items: ProcessedItem[];
  total: number;
  page: number;
  per_page: number;
}

export interface ClearJobsRequest {
  type: 'all' | 'failed';
  cleanup_processed: boolean;
  older_than?: string;
  flow_id?: number;
  pipeline_id?: number;
}

export interface ClearPreview {
  jobs_matched: number;
  processed_items_matched: number;
  by_status: Record<BaseStatus, number>;
}

export interface ClearedJobs {
  message: string;
  jobs_deleted: number;
  processed_items_cleaned: number;
}

export interface ClearItemsRequest {
  clear_type: 'flow' | 'pipeline';
  target_id: number;
}

export interface ClearedItems {
  message: string;
  items_deleted: number;
}

export interface AuditRecord {
  id: number;
  created_at: string;
  action: string;
  via: string;
  username: string | null;
  app_password: string | null;
  remote_addr: string | null;
  request_id: string | null;
  process?: string | null;
  parameters: Record<string, unknown>;
  outcome: string;
  rows_deleted: Record<string, number> | null;
}

export interface AuditPage {
  records: AuditRecord[];
  total: number;
}

export interface User {
  id: number;
  username: string;
  role: string;
  capabilities: string[];
}

export interface Session {
  user: User;
  app_password: string;
  nonce: string;
}

/** A failed request: an error answer of the service, or no answer at all (`status` 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly data: Record<string, unknown>;
  /** Seconds, from the Retry-After header. */
  readonly retryAfter: number | null;

  constructor(
    status: number,
    code: string,
    message: string,
    data: Record<string, unknown> = {},
    retryAfter: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.data = data;
    this.retryAfter = retryAfter;
  }

  get isNetwork(): boolean {
    return this.status === 0;
  }
}

export const NETWORK_ERROR = 'network_error';

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface Request {
  path: string;
  method?: 'GET' | 'POST' | 'DELETE';
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
  url?: string;
}

type Handler = (request: Request) => Promise<Response>;
export type Middleware = (request: Request, next: Handler) => Promise<Response>;

/** Resolve `path` against the API root, as api-fetch's createRootURLMiddleware does. */
export function createRootURLMiddleware(root: string): Middleware {
  return (request, next) => {
    const url = new URL(request.path.replace(/^\//, ''), root);
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined && value !== null && value !== '') {
        url.searchParams.set(key, String(value));
      }
    }
    return next({ ...request, url: url.toString() });
  };
}

/** Send the session's nonce in X-WP-Nonce, as api-fetch's createNonceMiddleware does. */
export function createNonceMiddleware(nonce = ''): Middleware & { nonce: string } {
  const middleware = ((request, next) =>
    middleware.nonce
      ? next({ ...request, headers: { ...request.headers, 'X-WP-Nonce': middleware.nonce } })
      : next(request)) as Middleware & { nonce: string };
  middleware.nonce = nonce;
  return middleware;
}

/**
 * On 403 `rest_cookie_invalid_nonce`, read a fresh nonce from `GET session` (the cookie alone)
 * and send the request once more, as api-fetch's nonce refresh does: a nonce lasts a day at
 * most, a session up to two, so a page left open would otherwise be sent back to sign-in.
 */
export function createNonceRefreshMiddleware(
  nonce: Middleware & { nonce: string },
  sessionUrl: () => string,
): Middleware {
  return async (request, next) => {
    const response = await next(request);
    if (response.status !== 403 || request.path === 'session') return response;
    const code = await response
      .clone()
      .json()
      .then((body: { code?: unknown } | null) => body?.code, () => undefined);
    if (code !== 'rest_cookie_invalid_nonce') return response;
    const session = await fetch(sessionUrl(), {
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
    });
    if (!session.ok) return response;
    nonce.nonce = ((await session.json()) as { data: { nonce: string } }).data.nonce;
    return next(request);
  };
}

/** The API root for a page served at `<prefix>/dashboard/`: relative, so a path prefix works. */
export function apiRoot(href: string): string {
  return new URL('../wp-json/datamachine/v1/', href).toString();
}

const fetchHandler: Handler = (request) =>
  fetch(request.url ?? request.path, {
    method: request.method ?? 'GET',
    credentials: 'same-origin',
    headers: {
      Accept: 'application/json',
      ...(request.body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...request.headers,
    },
    body: request.body === undefined ? undefined : JSON.stringify(request.body),
  });

export const nonceMiddleware = createNonceMiddleware();
const pageUrl = () => globalThis.location?.href ?? 'http://localhost/dashboard/';
const middlewares: Middleware[] = [
  createRootURLMiddleware(apiRoot(pageUrl())),
  createNonceRefreshMiddleware(nonceMiddleware, () => new URL('session', apiRoot(pageUrl())).toString()),
  nonceMiddleware,
];

function retryAfterSeconds(headers: Headers): number | null {
  const value = headers.get('Retry-After');
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

async function send(request: Request): Promise<{ body: unknown; headers: Headers }> {
  const run = middlewares.reduceRight<Handler>(
    (next, middleware) => (req) => middleware(req, next),
    fetchHandler,
  );
  let response: Response;
  try {
    response = await run(request);
  } catch (error) {
    throw new ApiError(0, NETWORK_ERROR, error instanceof Error ? error.message : String(error));
  }
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const envelope = (body ?? {}) as { code?: unknown; message?: unknown; data?: unknown };
    throw new ApiError(
      response.status,
      typeof envelope.code === 'string' ? envelope.code : `http_${response.status}`,
      typeof envelope.message === 'string' ? envelope.message : response.statusText,
      envelope.data && typeof envelope.data === 'object'
        ? (envelope.data as Record<string, unknown>)
        : {},
      retryAfterSeconds(response.headers),
    );
  }
  return { body, headers: response.headers };
}

async function call<T>(request: Request): Promise<T> {
  return (await send(request)).body as T;
}

// Session ---------------------------------------------------------------------------------

interface SessionAnswer {
  success: true;
  data: Session;
}

/** The current session, or null when there is none (401). */
export async function getSession(): Promise<Session | null> {
  try {
    return (await call<SessionAnswer>({ path: 'session' })).data;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

export async function signIn(username: string, password: string): Promise<Session> {
  return (
    await call<SessionAnswer>({ path: 'session', method: 'POST', body: { username, password } })
  ).data;
}

export async function signOut(): Promise<void> {
  await call({ path: 'session', method: 'DELETE' });
}

// Jobs ------------------------------------------------------------------------------------

export async function listJobs(query: Query): Promise<JobPage> {
  const answer = await call<{ data: Job[]; total: number }>({ path: 'jobs', query });
  return { jobs: answer.data, total: answer.total };
}

export async function getSummary(query: Query): Promise<Summary> {
  return (await call<{ data: Summary }>({ path: 'jobs/summary', query })).data;
}

export async function getJob(jobId: number): Promise<Job> {
  return (await call<{ data: Job }>({ path: `jobs/${jobId}` })).data;
}

export async function previewClearJobs(body: ClearJobsRequest): Promise<ClearPreview> {
  return call<ClearPreview>({ path: 'jobs', method: 'DELETE', body: { ...body, dry_run: true } });
}

export async function clearJobs(body: ClearJobsRequest, idempotencyKey: string): Promise<ClearedJobs> {
  return call<ClearedJobs>({
    path: 'jobs',
    method: 'DELETE',
    body,
    headers: { 'Idempotency-Key': idempotencyKey },
  });
}

// Processed items -------------------------------------------------------------------------

export async function listProcessedItems(query: Query): Promise<ProcessedItemPage> {
  return call<ProcessedItemPage>({ path: 'processed-items', query });
}

export async function clearProcessedItems(
  body: ClearItemsRequest,
  idempotencyKey: string,
): Promise<ClearedItems> {
  return call<ClearedItems>({
    path: 'processed-items',
    method: 'DELETE',
    body,
    headers: { 'Idempotency-Key': idempotencyKey },
  });
}

// Audit -----------------------------------------------------------------------------------

export async function listAudit(query: Query): Promise<AuditPage> {
  const answer = await call<{ data: AuditRecord[]; total: number }>({ path: 'audit', query });
  return { records: answer.data, total: answer.total };
}
