import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import { createQueryClient, healthOf, keys } from './queries';
import type { SessionState } from './queries';

const signedIn: SessionState = {
  session: {
    user: { id: 1, username: 'admin', role: 'administrator', capabilities: ['manage_options'] },
    app_password: 'dashboard',
    nonce: 'n',
  },
  ended: null,
};

const failWith = (error: ApiError) => () => Promise.reject(error);

describe('a session that ends', () => {
  it.each([
    new ApiError(401, 'rest_not_logged_in', 'You are not currently logged in.'),
    new ApiError(403, 'rest_cookie_invalid_nonce', 'Cookie check failed.'),
  ])('sends the page back to sign-in on %s, and forgets the data', async (error) => {
    const client = createQueryClient();
    client.setQueryData(keys.session, signedIn);
    client.setQueryData(['jobs', 'other'], { jobs: [], total: 0 });
    await client.fetchQuery({ queryKey: ['jobs', 'x'], queryFn: failWith(error) }).catch(() => null);
    expect(client.getQueryData(keys.session)).toEqual({ session: null, ended: 'expired' });
    expect(client.getQueryData(['jobs', 'other'])).toBeUndefined();
  });

  it('is not what a refused permission means', async () => {
    const client = createQueryClient();
    client.setQueryData(keys.session, signedIn);
    const forbidden = new ApiError(403, 'rest_forbidden', 'You do not have permission to manage jobs.');
    await client.fetchQuery({ queryKey: ['jobs', 'x'], queryFn: failWith(forbidden) }).catch(() => null);
    expect(client.getQueryData(keys.session)).toEqual(signedIn);
  });
});

describe('the health banners', () => {
  it('follow the last answer of each query', async () => {
    const client = createQueryClient();
    expect(healthOf(client)).toBe('ok');
    const down = new ApiError(503, 'database_unavailable', 'Database unavailable.', {}, 1);
    await client.fetchQuery({ queryKey: ['a'], queryFn: failWith(down), retry: false }).catch(() => null);
    expect(healthOf(client)).toBe('database');
    await client.fetchQuery({ queryKey: ['b'], queryFn: failWith(new ApiError(0, 'network_error', 'x')), retry: false }).catch(() => null);
    expect(healthOf(client)).toBe('network');
    await client.fetchQuery({ queryKey: ['b'], queryFn: () => Promise.resolve(1), staleTime: 0 });
    await client.fetchQuery({ queryKey: ['a'], queryFn: () => Promise.resolve(1), staleTime: 0 });
    expect(healthOf(client)).toBe('ok');
  });
});
