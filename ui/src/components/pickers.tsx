import { useCallback } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { directory, groups } from '../api/account';
import { queryKeys } from '../api/queryKeys';
import type { Group, Person } from '../api/types';
import { Combobox, type ComboboxProps } from './Combobox';
import { Options } from './Field';

type PickerProps = Pick<ComboboxProps<never>, 'label' | 'hideLabel' | 'value' | 'onChange' | 'placeholder' | 'id' | 'className' | 'delay'>;

/** How many people one directory search asks for. */
export const PEOPLE_LIMIT = 10;

/**
 * A username box that suggests people from the directory (username prefix or
 * display-name match) as you type; an exact username typed in full works too.
 */
export function PeoplePicker({ onPick, ...props }: PickerProps & { onPick?: (p: Person) => void }) {
  const search = useCallback((q: string, signal: AbortSignal) => directory.users(q, PEOPLE_LIMIT, signal), []);
  return (
    <Combobox<Person>
      {...props}
      search={search}
      optionValue={(p) => p.username}
      renderOption={(p) => (
        <>
          <span className="combobox-main">{p.display_name || p.username}</span> <span className="combobox-sub mono">{p.username}</span>
        </>
      )}
      onPick={onPick}
      minLength={1}
      maxLength={64}
      emptyText="No one found"
    />
  );
}

/** Groups whose name or description contains `q` (case ignored), names starting with it first. */
export function matchGroups(all: readonly Group[], q: string, limit = 50): Group[] {
  const needle = q.trim().toLowerCase();
  const hits = all.filter((g) => !needle || g.name.toLowerCase().includes(needle) || (g.description ?? '').toLowerCase().includes(needle));
  const rank = (g: Group) => (g.name.toLowerCase().startsWith(needle) ? 0 : g.name.toLowerCase().includes(needle) ? 1 : 2);
  return hits.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name)).slice(0, limit);
}

/**
 * A group-name box that suggests groups (the list anyone may read, fetched
 * once and shared with other views of it); ArrowDown on an empty box lists them all.
 */
export function GroupPicker({ onPick, ...props }: PickerProps & { onPick?: (g: Group) => void }) {
  const qc = useQueryClient();
  const search = useCallback(
    async (q: string) => matchGroups((await qc.fetchQuery({ queryKey: queryKeys.groups(), queryFn: groups.list, staleTime: 30_000 })).items ?? [], q),
    [qc],
  );
  return (
    <Combobox<Group>
      {...props}
      search={search}
      optionValue={(g) => g.name}
      renderOption={(g) => (
        <>
          <span className="combobox-main">{g.name}</span> {g.description && <span className="combobox-sub">{g.description}</span>}
        </>
      )}
      onPick={onPick}
      minLength={0}
      maxLength={200}
      emptyText="No group found"
    />
  );
}

export type SubjectKind = 'user' | 'group';

/**
 * Whom to grant something to: a User/Group choice and the matching picker
 * (labelled "Username" or "Group name"). Changing the kind empties the name.
 */
export function SubjectPicker({
  kind,
  onKindChange,
  value,
  onChange,
}: {
  kind: SubjectKind;
  onKindChange: (k: SubjectKind) => void;
  value: string;
  onChange: (v: string) => void;
}) {
  return (
    <>
      <select
        aria-label="Grant to"
        value={kind}
        onChange={(e) => {
          onKindChange(e.target.value === 'group' ? 'group' : 'user');
          onChange('');
        }}
      >
        <Options
          options={[
            { value: 'user', label: 'User' },
            { value: 'group', label: 'Group' },
          ]}
        />
      </select>
      {kind === 'user' ? (
        <PeoplePicker key="user" label="Username" hideLabel placeholder="name or username" value={value} onChange={onChange} />
      ) : (
        <GroupPicker key="group" label="Group name" hideLabel placeholder="group name" value={value} onChange={onChange} />
      )}
    </>
  );
}
