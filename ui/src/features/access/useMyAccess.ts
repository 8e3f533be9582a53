import { useQueries, useQuery } from '@tanstack/react-query';
import { access, groups } from '../../api/account';
import { queryKeys } from '../../api/queryKeys';
import { RANK } from '../../api/catalogue';
import type { Grant, User } from '../../api/types';
import { useUser } from '../auth/AuthContext';

export interface MyAccess {
  canEdit: boolean;
  canManage: boolean;
  /** True while unknown: controls stay visible and the server decides. */
  loading: boolean;
}

/**
 * What the signed-in person may do on an element, from its access list:
 * admins everything; otherwise the allow grants to them or to a group they
 * are in (`memberOf`), unless they are denied. The server still decides
 * every call; this only chooses which controls to show.
 */
export function levelFor(user: User | null, grants: Grant[], memberOf: (group: string) => boolean = () => false): { edit: boolean; manage: boolean } {
  if (!user) return { edit: false, manage: false };
  if (user.is_admin) return { edit: true, manage: true };
  const mine = (subject: string) => subject === `user:${user.username}` || (subject.startsWith('group:') && memberOf(subject.slice(6)));
  if (grants.some((g) => g.effect === 'deny' && mine(g.subject))) return { edit: false, manage: false };
  let best = 0;
  for (const g of grants) {
    if (g.effect !== 'allow' || !g.operation) continue;
    if (mine(g.subject)) best = Math.max(best, RANK[g.operation] ?? 0);
  }
  return { edit: best >= RANK.edit, manage: best >= RANK.manage };
}

export function useAccessList(element: string, enabled = true) {
  return useQuery({ queryKey: queryKeys.access(element), queryFn: () => access.of(element), enabled, retry: false });
}

export function useMyAccess(element: string | null): MyAccess {
  const user = useUser();
  const q = useAccessList(element ?? '', !!element && !!user && !user.is_admin);
  // Group members are readable by the group's own members (403 otherwise).
  const groupNames = [...new Set((q.data?.grants ?? []).filter((g) => g.subject.startsWith('group:')).map((g) => g.subject.slice(6)))];
  const members = useQueries({
    queries: groupNames.map((g) => ({
      queryKey: queryKeys.members(g),
      queryFn: () => groups.members(g),
      retry: false,
      staleTime: 60_000,
    })),
  });
  if (!element) return { canEdit: false, canManage: false, loading: true };
  if (user?.is_admin) return { canEdit: true, canManage: true, loading: false };
  if (q.isLoading || members.some((m) => m.isLoading)) return { canEdit: false, canManage: false, loading: true };
  if (q.error) return { canEdit: false, canManage: false, loading: false };
  const member = (g: string) => {
    const i = groupNames.indexOf(g);
    return i >= 0 && !!members[i]?.data?.members.some((m) => m.username === user?.username);
  };
  const l = levelFor(user, q.data?.grants ?? [], member);
  return { canEdit: l.edit, canManage: l.manage, loading: false };
}
