import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { access, elements as elementList, myAccess, users } from '../../api/account';
import { queryKeys } from '../../api/queryKeys';
import { useUser } from '../auth/AuthContext';

/** The operations the UI's controls need: edit (rename, tag, log), manage (delete, restore, access), create (new experiments and models in a project). */
export const ASKED = ['edit', 'manage', 'create'] as const;
export type AskedOperation = (typeof ASKED)[number];

export interface MyAccess {
  /** True until cerberus has answered: controls stay hidden meanwhile. */
  loading: boolean;
  /** May the caller do `op` on `element`? False while unknown. */
  can: (op: AskedOperation, element: string) => boolean;
}

/** What one element's page needs to know. */
export interface MyAccessOn {
  loading: boolean;
  canEdit: boolean;
  canManage: boolean;
  canCreate: boolean;
}

/**
 * Which of edit, manage and create the signed-in person may do on each of
 * `elements`, asked of cerberus in one call (`/api/authorize/batch` with
 * `operations`), so the access rules (groups, projects above, denies) live
 * only there. Admins may do everything and are not asked. The server still
 * decides every call; this only chooses which controls to show. If the
 * question itself fails, controls show and the server decides.
 */
export function useMyAccess(elements: readonly (string | null | undefined)[] | null): MyAccess {
  const user = useUser();
  // null: the page does not know yet what it shows; asking then would ask twice.
  const names = [...new Set((elements ?? []).filter((e): e is string => !!e))];
  const q = useQuery({
    queryKey: queryKeys.myAccess(names),
    queryFn: () => myAccess.on(names, ASKED),
    enabled: !!user && !user.is_admin && elements !== null && names.length > 0,
    staleTime: 30_000,
    retry: false,
    // A new page or search keeps the last answer for the items both show, instead of hiding every control meanwhile.
    placeholderData: keepPreviousData,
  });
  if (!user) return { loading: true, can: () => false };
  if (user.is_admin) return { loading: false, can: () => true };
  if (q.error) return { loading: false, can: () => true };
  if (elements !== null && names.length === 0) return { loading: false, can: () => false };
  if (!q.data) return { loading: true, can: () => false };
  const ops = q.data;
  // Until the answer about new items comes, they are unknown (hidden), not refused.
  const loading = q.isPlaceholderData && names.some((n) => !(n in ops));
  return { loading, can: (op, element) => !!ops[element]?.includes(op) };
}

/** useMyAccess for a page about one element (null while its name is unknown). */
export function useMyAccessOn(element: string | null): MyAccessOn {
  const a = useMyAccess([element]);
  if (!element) return { loading: true, canEdit: false, canManage: false, canCreate: false };
  return { loading: a.loading, canEdit: a.can('edit', element), canManage: a.can('manage', element), canCreate: a.can('create', element) };
}

/** Who has access to an element (readers of it may ask). */
export function useAccessList(element: string, enabled = true) {
  return useQuery({ queryKey: queryKeys.access(element), queryFn: () => access.of(element), enabled, retry: false });
}

/**
 * The projects the caller might create experiments and models in — the
 * names to ask cerberus about, not the answer: for an admin every project,
 * otherwise `default` and the projects their own or their groups' grants of
 * create name. null until known.
 */
export function useProjectCandidates(): string[] | null {
  const user = useUser();
  const all = useQuery({
    queryKey: queryKeys.elements('project'),
    queryFn: () => elementList.list('project'),
    enabled: !!user?.is_admin,
    staleTime: 60_000,
  });
  const mine = useQuery({
    queryKey: queryKeys.userGrants(user?.username ?? ''),
    queryFn: () => users.grants(user!.username),
    enabled: !!user && !user.is_admin,
    staleTime: 60_000,
    retry: false,
  });
  if (!user) return null;
  const names = new Set(['default']);
  if (user.is_admin) {
    if (all.isLoading) return null;
    for (const e of all.data?.items ?? []) names.add(e.name.slice('project:'.length));
  } else {
    if (mine.isLoading) return null;
    for (const g of mine.data?.grants ?? []) {
      if (g.effect === 'allow' && g.operation === 'create' && g.element.startsWith('project:')) names.add(g.element.slice('project:'.length));
    }
  }
  return [...names].sort();
}
