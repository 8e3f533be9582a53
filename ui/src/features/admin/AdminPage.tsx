import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { audit, elements, groups, type AuditFilter } from '../../api/account';
import { queryKeys } from '../../api/queryKeys';
import type { Group } from '../../api/types';
import { actionsColumn, DataTable } from '../../components/DataTable';
import { ErrorView } from '../../components/ErrorView';
import { SelectField, TextField } from '../../components/Field';
import { fmtTime } from '../../components/format';
import { InlineForm } from '../../components/InlineForm';
import { PageHead } from '../../components/PageHead';
import { PeoplePicker } from '../../components/pickers';
import { Section } from '../../components/Section';
import { Tabs } from '../../components/Tabs';
import { useFields } from '../../components/useFields';
import { usePagedList } from '../../components/usePagedList';
import { AccessPanel } from '../access/AccessPanel';
import { targetHref } from './guard';
import { Users } from './Users';

/** Grants on a project (or the whole component), the project picked from cerberus's list: who may create experiments and models, and who reaches everything in it. */
function ProjectAccess({ project, onProject }: { project: string; onProject: (p: string) => void }) {
  const list = useQuery({ queryKey: queryKeys.elements('project'), queryFn: () => elements.list('project') });
  const names = (list.data?.items ?? []).map((e) => e.name.slice('project:'.length));
  if (project !== '*' && !names.includes(project)) names.push(project); // one linked to, before the list is in
  const element = project === '*' ? '*' : `project:${project}`;
  return (
    <>
      <div className="toolbar">
        <SelectField
          label="Project"
          value={project}
          onChange={onProject}
          options={[...names.sort().map((n) => ({ value: n, label: n })), { value: '*', label: 'Everything (*)' }]}
        />
        <span className="muted small">Grant “create” on a project to let people create experiments and models in it; a grant on a project reaches everything inside.</span>
      </div>
      <ErrorView error={list.error} compact />
      <AccessPanel key={element} element={element} title={`Access to ${element === '*' ? 'everything' : `project “${project}”`}`} />
    </>
  );
}

const TABS = [
  { id: 'users', label: 'Users' },
  { id: 'groups', label: 'Groups' },
  { id: 'access', label: 'Project access' },
  { id: 'audit', label: 'Audit log' },
] as const;

type TabId = (typeof TABS)[number]['id'];

/** The console's state lives in the address (`?tab=users&user=alice`), so audit entries and grants link into it. */
export default function AdminPage() {
  const [params, setParams] = useSearchParams();
  const tab: TabId = TABS.find((t) => t.id === params.get('tab'))?.id ?? 'users';
  const go = (next: Record<string, string | null>) => {
    const n = new URLSearchParams();
    for (const [k, v] of Object.entries({ tab, ...next })) if (v) n.set(k, v);
    setParams(n, { replace: true });
  };
  return (
    <div className="page">
      <PageHead title="Administration" />
      <Tabs label="Administration sections" tabs={TABS} value={tab} onChange={(t) => go({ tab: t })} />
      {tab === 'users' && <Users selected={params.get('user')} onSelect={(u) => go({ user: u })} />}
      {tab === 'groups' && <Groups open={params.get('group')} onOpen={(g) => go({ group: g })} />}
      {tab === 'access' && <ProjectAccess project={params.get('project') || 'default'} onProject={(p) => go({ project: p })} />}
      {tab === 'audit' && <Audit />}
    </div>
  );
}

function Groups({ open, onOpen }: { open: string | null; onOpen: (group: string) => void }) {
  const qc = useQueryClient();
  const list = useQuery({ queryKey: queryKeys.groups(), queryFn: groups.list });
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const create = useMutation({
    mutationFn: () => groups.create(name.trim(), description),
    onSuccess: () => {
      setName('');
      setDescription('');
      qc.invalidateQueries({ queryKey: queryKeys.groups() });
    },
  });
  return (
    <div className="grid-2">
      <Section title="Groups">
        <InlineForm submitLabel="Create group" canSubmit={!!name.trim()} busy={create.isPending} error={create.error} onSubmit={() => create.mutate()}>
          <TextField label="Group name" value={name} onChange={setName} />
          <TextField label="Description" value={description} onChange={setDescription} />
        </InlineForm>
        <DataTable
          compact
          query={list}
          rows={list.data?.items ?? []}
          rowKey={(g) => g.name}
          rowClassName={(g) => (open === g.name ? 'selected' : undefined)}
          empty="No groups yet."
          columns={[
            { key: 'name', header: 'Name', cell: (g) => g.name, sortValue: (g) => g.name },
            { key: 'description', header: 'Description', className: 'muted', cell: (g) => g.description || '—' },
            actionsColumn((g: Group) => (
              <button type="button" className="btn btn-small" aria-pressed={open === g.name} onClick={() => onOpen(g.name)}>
                Members
              </button>
            )),
          ]}
        />
      </Section>
      {open ? <Members group={open} /> : <section className="card empty">Choose a group to see its members.</section>}
    </div>
  );
}

function Members({ group }: { group: string }) {
  const qc = useQueryClient();
  const list = useQuery({ queryKey: queryKeys.members(group), queryFn: () => groups.members(group) });
  const [username, setUsername] = useState('');
  const refresh = () => qc.invalidateQueries({ queryKey: queryKeys.members(group) });
  const add = useMutation({
    mutationFn: () => groups.addMember(group, username.trim()),
    onSuccess: () => {
      setUsername('');
      refresh();
    },
  });
  const remove = useMutation({ mutationFn: (u: string) => groups.removeMember(group, u), onSuccess: refresh });
  return (
    <Section title={`Members of ${group}`}>
      <InlineForm submitLabel="Add member" canSubmit={!!username.trim()} busy={add.isPending} error={add.error} onSubmit={() => add.mutate()}>
        <PeoplePicker label="Username" placeholder="name or username" value={username} onChange={setUsername} />
      </InlineForm>
      <ErrorView error={remove.error} compact />
      <ErrorView error={list.error} onRetry={() => list.refetch()} />
      <ul className="member-list">
        {(list.data?.members ?? []).length === 0 && <li className="muted">No members.</li>}
        {(list.data?.members ?? []).map((u) => (
          <li key={u.username}>
            <span>
              <span className="mono">{u.username}</span> {u.display_name && <span className="muted">{u.display_name}</span>}
            </span>
            <button type="button" className="btn btn-small btn-danger" aria-label={`Remove ${u.username} from ${group}`} onClick={() => remove.mutate(u.username)}>
              Remove
            </button>
          </li>
        ))}
      </ul>
    </Section>
  );
}

const ACTIONS = ['login', 'logout', 'user.create', 'user.update', 'user.bootstrap', 'token.create', 'token.revoke', 'group.create', 'group.member.add', 'group.member.remove', 'element.register', 'element.rename', 'grant.add', 'grant.revoke', 'authorize'];
const RESULTS = ['ok', 'error', 'denied', 'throttled'];
const ANY = { value: '', label: 'any' };
const PAGE = 50;

function toIso(local: string): string | undefined {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

function Audit() {
  const { values: draft, set } = useFields({ actor: '', action: '', target: '', result: '', since: '', until: '' });
  const [filter, setFilter] = useState<AuditFilter>({});
  // Paged by offset; new filters start again at the newest entries.
  const { query: q, cursor, pager } = usePagedList<Awaited<ReturnType<typeof audit.list>>, number>({
    queryKey: queryKeys.audit(filter),
    fetchPage: (offset = 0) => audit.list({ ...filter, limit: PAGE, offset }),
    nextCursor: (r, offset = 0) => (offset + PAGE < r.total ? offset + PAGE : undefined),
  });
  const offset = cursor ?? 0;
  const total = q.data?.total ?? 0;
  return (
    <Section title="Audit log">
      <InlineForm
        submitLabel="Apply filters"
        onSubmit={() =>
          setFilter({
            actor: draft.actor.trim() || undefined,
            action: draft.action || undefined,
            target: draft.target.trim() || undefined,
            result: draft.result || undefined,
            since: toIso(draft.since),
            until: toIso(draft.until),
          })
        }
      >
        <TextField label="Actor" value={draft.actor} onChange={set('actor')} placeholder="username" />
        <SelectField label="Action" value={draft.action} onChange={set('action')} options={[ANY, ...ACTIONS]} />
        <TextField label="Target" value={draft.target} onChange={set('target')} placeholder="e.g. user:alice" />
        <SelectField label="Result" value={draft.result} onChange={set('result')} options={[ANY, ...RESULTS]} />
        <TextField label="Since" type="datetime-local" value={draft.since} onChange={set('since')} />
        <TextField label="Until" type="datetime-local" value={draft.until} onChange={set('until')} />
      </InlineForm>
      <DataTable
        compact
        label="Audit entries"
        query={q}
        rows={q.data?.items ?? []}
        rowKey={(a) => String(a.id)}
        empty="No entries match."
        pager={{
          ...pager,
          status: `${total === 0 ? '0' : `${offset + 1}–${Math.min(offset + PAGE, total)}`} of ${total}`,
          prevLabel: '← Newer',
          nextLabel: 'Older →',
        }}
        columns={[
          { key: 'at', header: 'When', style: { whiteSpace: 'nowrap' }, cell: (a) => fmtTime(a.at) },
          { key: 'actor', header: 'Actor', className: 'mono', cell: (a) => (a.actor ? <Link to={targetHref(`user:${a.actor}`)!}>{a.actor}</Link> : <span className="muted">anonymous</span>) },
          { key: 'action', header: 'Action', className: 'mono', cell: (a) => a.action },
          {
            key: 'target',
            header: 'Target',
            className: 'mono',
            cell: (a) => {
              const href = targetHref(a.target);
              return href ? <Link to={href}>{a.target}</Link> : a.target;
            },
          },
          { key: 'result', header: 'Result', cell: (a) => <span className={`pill pill-${a.result}`}>{a.result}</span> },
          { key: 'detail', header: 'Detail', className: 'muted small', cell: (a) => a.detail },
          { key: 'ip', header: 'Address', className: 'mono muted', cell: (a) => a.client_ip },
        ]}
      />
    </Section>
  );
}
