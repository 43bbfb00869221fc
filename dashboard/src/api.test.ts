import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, apiRoot, createNonceMiddleware, createRootURLMiddleware, listJobs, nonceMiddleware } from './api';
import type { Request } from './api';
import { isSessionEnded, isTransient, isUnreachable, retryDelay } from './queries';

describe('apiRoot', () => {
  it.each([
    ['http://host/dashboard/', 'http://host/wp-json/datamachine/v1/'],
    ['http://host/dashboard/?status=failed#x', 'http://host/wp-json/datamachine/v1/'],
    ['https://host/ops/jobs/dashboard/', 'https://host/ops/jobs/wp-json/datamachine/v1/'],
  ])('%s -> %s', (page, root) => expect(apiRoot(page)).toBe(root));
});

describe('middlewares', () => {
  const echo = (request: Request) => Promise.resolve(new Response(JSON.stringify(request)));

  it('resolves the path under the root and drops empty parameters', async () => {
    const middleware = createRootURLMiddleware('http://host/prefix/wp-json/datamachine/v1/');
    const response = await middleware(
      { path: 'jobs/summary', query: { status: 'failed,pending', flow_id: 4, pipeline_id: undefined, x: '' } },
      echo,
    );
    expect((await response.json()).url).toBe(
      'http://host/prefix/wp-json/datamachine/v1/jobs/summary?status=failed%2Cpending&flow_id=4',
    );
  });

  it('sends the nonce once there is one', async () => {
    const middleware = createNonceMiddleware();
    expect((await (await middleware({ path: 'jobs' }, echo)).json()).headers).toBeUndefined();
    middleware.nonce = 'abc';
    expect((await (await middleware({ path: 'jobs', headers: { A: 'b' } }, echo)).json()).headers).toEqual({
      A: 'b',
      'X-WP-Nonce': 'abc',
    });
  });
});

describe('requests', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    nonceMiddleware.nonce = '';
  });

  it('sends the nonce and reads a page of jobs', async () => {
    const fetchMock = vi.fn(async (_url: string, _init: RequestInit) =>
      Response.json({ success: true, data: [], total: 7, per_page: 10, offset: 0, next_cursor: null }),
    );
    vi.stubGlobal('fetch', fetchMock);
    nonceMiddleware.nonce = 'n1';
    expect(await listJobs({ per_page: 10 })).toEqual({ jobs: [], total: 7 });
    const [url, init] = fetchMock.mock.calls[0]!;
    expect(url).toBe('http://localhost/wp-json/datamachine/v1/jobs?per_page=10');
    expect((init.headers as Record<string, string>)['X-WP-Nonce']).toBe('n1');
  });

  it('turns an error answer into an ApiError with its status, code and Retry-After', async () => {
    vi.stubGlobal('fetch', async () =>
      Response.json(
        { code: 'database_unavailable', message: 'Database unavailable.', data: { status: 503 } },
        { status: 503, headers: { 'Retry-After': '5' } },
      ),
    );
    const error = await listJobs({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 503, code: 'database_unavailable', retryAfter: 5 });
    expect(isTransient(error)).toBe(true);
    expect(retryDelay(0, error)).toBe(5000);
  });

  it('turns a failed fetch into a network ApiError', async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('Failed to fetch');
    });
    const error = await listJobs({}).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 0, isNetwork: true });
    expect(isTransient(error)).toBe(true);
  });

  it('survives an error answer that is not JSON', async () => {
    vi.stubGlobal('fetch', async () => new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
    const error = await listJobs({}).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 502, code: 'http_502', message: 'Bad Gateway' });
    expect(isUnreachable(error)).toBe(true);
  });

  it('does not retry an error that will not go away', async () => {
    vi.stubGlobal('fetch', async () =>
      Response.json({ code: 'internal_error', message: 'Internal error.', data: { status: 500 } }, { status: 500 }),
    );
    const error = await listJobs({}).catch((e: unknown) => e);
    expect(isTransient(error)).toBe(false);
  });
});

describe('error classes', () => {
  const error = (status: number, code: string) => new ApiError(status, code, '');

  it('knows a session that ended from a refusal', () => {
    expect(isSessionEnded(error(401, 'rest_not_logged_in'))).toBe(true);
    expect(isSessionEnded(error(403, 'rest_cookie_invalid_nonce'))).toBe(true);
    expect(isSessionEnded(error(401, 'invalid_credentials'))).toBe(false);
    expect(isSessionEnded(error(403, 'rest_forbidden'))).toBe(false);
  });

  it('backs off exponentially up to 30 s without Retry-After', () => {
    expect([0, 1, 2, 5, 10].map((n) => retryDelay(n, error(0, 'network_error')))).toEqual([
      1000, 2000, 4000, 30000, 30000,
    ]);
  });
});

describe('nonce refresh', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    nonceMiddleware.nonce = '';
  });

  it('reads a fresh nonce after rest_cookie_invalid_nonce and sends the request again', async () => {
    const sent: string[] = [];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      const nonce = (init.headers as Record<string, string>)['X-WP-Nonce'] ?? '';
      sent.push(`${new URL(url).pathname} ${nonce}`);
      if (url.endsWith('/session')) {
        return Response.json({ success: true, data: { nonce: 'fresh' } });
      }
      if (nonce !== 'fresh') {
        return Response.json(
          { code: 'rest_cookie_invalid_nonce', message: 'Cookie check failed', data: { status: 403 } },
          { status: 403 },
        );
      }
      return Response.json({ success: true, data: [], total: 0, per_page: 10, offset: 0, next_cursor: null });
    });
    nonceMiddleware.nonce = 'stale';
    expect(await listJobs({ per_page: 10 })).toEqual({ jobs: [], total: 0 });
    expect(sent).toEqual([
      '/wp-json/datamachine/v1/jobs stale',
      '/wp-json/datamachine/v1/session ',
      '/wp-json/datamachine/v1/jobs fresh',
    ]);
    expect(nonceMiddleware.nonce).toBe('fresh');
  });

  it('leaves another 403 alone', async () => {
    const fetchMock = vi.fn(async () =>
      Response.json(
        { code: 'rest_forbidden', message: 'No.', data: { status: 403 } },
        { status: 403 },
      ),
    );
    vi.stubGlobal('fetch', fetchMock);
    await expect(listJobs({ per_page: 10 })).rejects.toMatchObject({ status: 403, code: 'rest_forbidden' });
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });
});
