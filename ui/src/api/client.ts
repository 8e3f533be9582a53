import { KIND_WORDS } from './catalogue';
import { getToken, saveSession } from './session';

export type ErrorKind = 'unauthorized' | 'forbidden' | 'network' | 'notfound' | 'invalid' | 'server';

/** One error type for every failed call; `message` is already in plain words. */
export class ApiError extends Error {
  readonly kind: ErrorKind;
  readonly status: number;
  /** The server's own message, unchanged. */
  readonly raw: string;

  constructor(kind: ErrorKind, status: number, message: string, raw = message) {
    super(message);
    this.name = 'ApiError';
    this.kind = kind;
    this.status = status;
    this.raw = raw;
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

type UnauthorizedHandler = () => void;
let onUnauthorized: UnauthorizedHandler = () => {
  const here = window.location.pathname + window.location.search;
  if (!window.location.pathname.startsWith('/signin')) {
    window.location.assign('/signin?next=' + encodeURIComponent(here));
  }
};

/** The app installs a router-aware handler; tests may install their own. */
export function setUnauthorizedHandler(h: UnauthorizedHandler): void {
  onUnauthorized = h;
}

/** "you do not have edit access to experiment:3" → plain words. */
export function forbiddenMessage(raw: string): string {
  const m = /you do not have (\w+) access to (.+)$/i.exec(raw.trim());
  if (m) {
    const [, op, element] = m;
    let what = element;
    const idx = element.indexOf(':');
    if (idx > 0) {
      const kind = element.slice(0, idx);
      const key = element.slice(idx + 1);
      what = `${KIND_WORDS[kind] ?? kind} “${key}”`;
    } else if (element === '*') {
      what = 'everything';
    }
    return `You don't have ${op} access to ${what}. Ask someone who manages it.`;
  }
  return "You don't have access to this. Ask someone who manages it.";
}

export interface RequestOptions {
  method?: string;
  query?: Record<string, string | number | boolean | string[] | undefined | null>;
  body?: unknown;
  /** Raw body (artifact upload); sent as is. */
  rawBody?: BodyInit;
  signal?: AbortSignal;
  /** Return the Response itself (downloads). */
  raw?: boolean;
  /** Don't redirect to sign-in on 401 (the sign-in call itself). */
  noAuthRedirect?: boolean;
}

export function buildUrl(path: string, query?: RequestOptions['query']): string {
  const qs = new URLSearchParams();
  if (query) {
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === null || v === '') continue;
      if (Array.isArray(v)) v.forEach((x) => qs.append(k, x));
      else qs.append(k, String(v));
    }
  }
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

async function readError(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  if (!text) return res.statusText || `HTTP ${res.status}`;
  try {
    const j = JSON.parse(text) as { error?: unknown; message?: unknown };
    if (typeof j.message === 'string' && j.message) return j.message; // MLflow's own errors
    if (typeof j.error === 'string' && j.error) return j.error;
  } catch {
    /* not JSON */
  }
  return text.slice(0, 500);
}

/** The one fetch wrapper: Bearer token, error mapping, JSON in and out. */
export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let body: BodyInit | undefined;
  if (opts.rawBody !== undefined) {
    body = opts.rawBody;
    headers['Content-Type'] = 'application/octet-stream';
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['Content-Type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(buildUrl(path, opts.query), {
      method: opts.method ?? (body !== undefined ? 'POST' : 'GET'),
      headers,
      body,
      signal: opts.signal,
    });
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') throw e;
    throw new ApiError('network', 0, 'Could not reach ML Studio. Check your connection and try again.');
  }
  if (!res.ok) {
    const raw = await readError(res);
    switch (res.status) {
      case 401:
        if (!opts.noAuthRedirect) {
          saveSession(null);
          onUnauthorized();
        }
        throw new ApiError('unauthorized', 401, opts.noAuthRedirect ? raw : 'Your session has ended. Please sign in again.', raw);
      case 403:
        throw new ApiError('forbidden', 403, forbiddenMessage(raw), raw);
      case 404:
        throw new ApiError('notfound', 404, raw || 'Not found.', raw);
      case 400:
      case 409:
      case 422:
        throw new ApiError('invalid', res.status, raw, raw);
      case 502:
      case 503:
      case 504:
        throw new ApiError('network', res.status, `The service is having trouble (${raw}). Try again in a moment.`, raw);
      default:
        throw new ApiError('server', res.status, raw, raw);
    }
  }
  if (opts.raw) return res as unknown as T;
  if (res.status === 204) return {} as T;
  const text = await res.text();
  if (!text) return {} as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError('server', res.status, 'The server gave an unreadable answer.');
  }
}
