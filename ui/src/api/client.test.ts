import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, forbiddenMessage, request, setUnauthorizedHandler } from './client';
import { getToken, saveSession } from './session';
import { json, mockFetch } from '../test/utils';

const user = { id: 1, username: 'alice', display_name: 'Alice', email: '', is_active: true, is_admin: false };

afterEach(() => vi.unstubAllGlobals());

describe('API client', () => {
  it('sends the session token as a Bearer header and parses JSON', async () => {
    saveSession({ token: 'mls_abc', user });
    const { calls } = mockFetch(() => json({ experiment: { experiment_id: '1', name: 'x' } }));
    const r = await request<{ experiment: { name: string } }>('/api/experiments/get', { query: { experiment_id: '1' } });
    expect(r.experiment.name).toBe('x');
    expect(new Headers(calls[0].init.headers).get('Authorization')).toBe('Bearer mls_abc');
    expect(calls[0].url.search).toBe('?experiment_id=1');
  });

  it('maps 401 to sign-in: drops the session and calls the handler', async () => {
    saveSession({ token: 'mls_old', user });
    const handler = vi.fn();
    setUnauthorizedHandler(handler);
    mockFetch(() => json({ error: 'invalid or expired token' }, 401));
    const err = await request<never>('/api/experiments/search', { method: 'POST', body: {} }).catch((e: ApiError) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.kind).toBe('unauthorized');
    expect(handler).toHaveBeenCalledTimes(1);
    expect(getToken()).toBeNull();
  });

  it('does not redirect for a failed sign-in itself', async () => {
    const handler = vi.fn();
    setUnauthorizedHandler(handler);
    mockFetch(() => json({ error: 'invalid credentials' }, 401));
    const err = await request<never>('/api/auth/login', { method: 'POST', body: {}, noAuthRedirect: true }).catch((e: ApiError) => e);
    expect(err.kind).toBe('unauthorized');
    expect(handler).not.toHaveBeenCalled();
  });

  it('maps 403 to plain words naming the item', async () => {
    mockFetch(() => json({ error: 'you do not have edit access to experiment:42' }, 403));
    const err = await request<never>('/api/experiments/update', { method: 'POST', body: {} }).catch((e: ApiError) => e);
    expect(err.kind).toBe('forbidden');
    expect(err.message).toBe('You don\'t have edit access to experiment “42”. Ask someone who manages it.');
    expect(forbiddenMessage('you do not have read access to registered_model:churn')).toContain('model “churn”');
    expect(forbiddenMessage('you do not have read access to this experiment')).toBe("You don't have read access to this experiment. Ask someone who manages it.");
    expect(forbiddenMessage('forbidden')).toBe("You don't have access to this. Ask someone who manages it.");
  });

  it('maps network failures and 502/503 to a retryable error', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));
    const err = await request<never>('/api/experiments/get').catch((e: ApiError) => e);
    expect(err.kind).toBe('network');
    expect(err.message).toMatch(/Could not reach/);
    mockFetch(() => json({ error: 'the tracking server is unreachable' }, 502));
    const err2 = await request<never>('/api/experiments/get').catch((e: ApiError) => e);
    expect(err2.kind).toBe('network');
  });

  it('passes MLflow 400 messages through unchanged', async () => {
    mockFetch(() => json({ error_code: 'INVALID_PARAMETER_VALUE', message: "Invalid clause(s) in filter string: 'metrics.x >>'" }, 400));
    const err = await request<never>('/api/runs/search', { method: 'POST', body: {} }).catch((e: ApiError) => e);
    expect(err.kind).toBe('invalid');
    expect(err.message).toBe("Invalid clause(s) in filter string: 'metrics.x >>'");
  });
});
