import type { User } from '../../api/types';

/**
 * Why `u` may not be disabled or demoted from this page, or null when they
 * may: an admin does not disable or demote themself, and the last active
 * admin stays one (cerberus refuses both; the page does not offer them).
 * `all` is the list of users the page holds.
 */
export function keepAdmin(u: User, all: readonly User[], me: string | undefined): string | null {
  if (!u.is_admin || !u.is_active) return null;
  if (u.username === me) return 'You cannot disable or demote your own account.';
  const others = all.filter((x) => x.is_admin && x.is_active && x.username !== u.username);
  return others.length === 0 ? `${u.username} is the last active admin: make someone else an admin first.` : null;
}

/** The page of the admin console or the app an audit entry's target names, or null. */
export function targetHref(target: string): string | null {
  const i = target.indexOf(':');
  if (i <= 0) return null;
  const kind = target.slice(0, i);
  const key = target.slice(i + 1);
  if (!key) return null;
  const q = (params: Record<string, string>) => `/admin?${new URLSearchParams(params)}`;
  switch (kind) {
    case 'user':
      return q({ tab: 'users', user: key });
    case 'group':
      return q({ tab: 'groups', group: key });
    case 'project':
      return q({ tab: 'access', project: key });
    case 'experiment':
      return /^\d+$/.test(key) ? `/experiments/${key}` : null;
    case 'registered_model':
      return `/models/${encodeURIComponent(key)}`;
    default:
      return null;
  }
}
