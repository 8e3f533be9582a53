import { request } from './client';
import type { ApiToken, AuditEntry, Grant, Group, LoginAnswer, Operation, Page, Person, SignInMethods, User } from './types';

export const auth = {
  login: (username: string, password: string) =>
    request<LoginAnswer>('/api/auth/login', { method: 'POST', body: { username, password }, noAuthRedirect: true }),
  /** Someone the identity provider signed in gets its logout URL, to end that session too. */
  logout: () => request<{ logout_url?: string } | undefined>('/api/auth/logout', { method: 'POST', noAuthRedirect: true }),
  methods: () => request<SignInMethods>('/api/auth/providers', { noAuthRedirect: true }),
  /** Redeems the one-time ticket single sign-on's callback gave this browser. */
  redeem: (ticket: string) =>
    request<LoginAnswer>('/api/auth/oidc/session', { method: 'POST', body: { ticket }, noAuthRedirect: true }),
  me: () => request<User>('/api/auth/me'),
};

export const tokens = {
  list: () => request<Page<ApiToken>>('/api/tokens', { query: { limit: 200 } }),
  create: (name: string, expiresInDays: number) =>
    request<ApiToken>('/api/tokens', { method: 'POST', body: { name, expires_in_days: expiresInDays } }),
  revoke: (id: number) => request(`/api/tokens/${id}`, { method: 'DELETE' }),
};

export const users = {
  list: (limit = 200, offset = 0) => request<Page<User>>('/api/users', { query: { limit, offset } }),
  create: (u: { username: string; password: string; display_name?: string; email?: string; is_admin?: boolean }) =>
    request<User>('/api/users', { method: 'POST', body: u }),
  /** Changing one's own password needs `current_password` and a session (an API token gets 403); an admin's reset of someone else's takes none. */
  update: (
    username: string,
    patch: Partial<Pick<User, 'display_name' | 'email' | 'is_active' | 'is_admin'>> & { password?: string; current_password?: string },
  ) =>
    request<User>(`/api/users/${encodeURIComponent(username)}`, { method: 'PATCH', body: patch }),
  /** What the user may do: their own grants and their groups', on each element and inherited from above. */
  grants: (username: string) => request<{ grants: Grant[] }>(`/api/users/${encodeURIComponent(username)}/grants`),
};

/** A registered element of cerberus (`project:churn`, `experiment:3`…). */
export interface ElementEntry {
  name: string;
  created_at: string;
}

/** Admins only: the elements of a kind, by name. */
export const elements = {
  list: (kind: 'project' | 'experiment' | 'registered_model', limit = 500) => request<Page<ElementEntry>>('/api/elements', { query: { kind, limit } }),
};

/**
 * "What may I do here?": which of `operations` the caller may do on each
 * element, from cerberus in one call (`/api/authorize/batch` with
 * `operations`). The server still decides every call; this only chooses
 * which controls to show.
 */
export const myAccess = {
  on: (elementNames: readonly string[], operations: readonly string[]) =>
    request<{ operations: Record<string, string[]> }>('/api/authorize/batch', {
      method: 'POST',
      body: { component: 'ml_studio', elements: elementNames, operations },
    }).then((r) => r.operations ?? {}),
};

/** Active users whose username starts with `q` or whose display name contains it; open to every signed-in user. */
export const directory = {
  users: (q: string, limit = 10, signal?: AbortSignal) =>
    request<{ items: Person[] }>('/api/directory/users', { query: { q, limit }, signal }).then((r) => r.items ?? []),
};

export const groups = {
  list: () => request<Page<Group>>('/api/groups', { query: { limit: 200 } }),
  create: (name: string, description: string) => request<Group>('/api/groups', { method: 'POST', body: { name, description } }),
  /** Admins get full accounts; a group's own members get names only. */
  members: (group: string) => request<{ members: Array<User | Person> }>(`/api/groups/${encodeURIComponent(group)}/members`),
  addMember: (group: string, username: string) =>
    request(`/api/groups/${encodeURIComponent(group)}/members/${encodeURIComponent(username)}`, { method: 'PUT' }),
  removeMember: (group: string, username: string) =>
    request(`/api/groups/${encodeURIComponent(group)}/members/${encodeURIComponent(username)}`, { method: 'DELETE' }),
};

export interface GrantBody {
  element: string;
  operation?: Operation;
  effect: 'allow' | 'deny';
  user?: string;
  group?: string;
}

export const access = {
  of: (element: string) => request<{ element: string; grants: Grant[] }>('/api/elements/access', { query: { element } }),
  grant: (g: GrantBody) => request('/api/grants', { method: 'POST', body: g }),
  revoke: (g: GrantBody) => request('/api/grants/revoke', { method: 'POST', body: g }),
};

export interface AuditFilter {
  actor?: string;
  action?: string;
  target?: string;
  result?: string;
  since?: string;
  until?: string;
  limit?: number;
  offset?: number;
}
export const audit = {
  list: (f: AuditFilter) => request<Page<AuditEntry>>('/api/audit', { query: { ...f } }),
};
