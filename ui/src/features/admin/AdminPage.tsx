import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { audit, groups, users, type AuditFilter } from '../../api/account';
import { queryKeys } from '../../api/queryKeys';
import type { Group, User } from '../../api/types';
import { actionsColumn, DataTable } from '../../components/DataTable';
import { ErrorView } from '../../components/ErrorView';
import { CheckField, SelectField, TextField } from '../../components/Field';
import { fmtTime } from '../../components/format';
import { InlineForm } from '../../components/InlineForm';
import { FormDialog } from '../../components/Modal';
import { PageHead } from '../../components/PageHead';
import { PeoplePicker } from '../../components/pickers';
import { Section } from '../../components/Section';
import { Tabs } from '../../components/Tabs';
import { useFields } from '../../components/useFields';
import { usePagedList } from '../../components/usePagedList';
import { AccessPanel } from '../access/AccessPanel';

/** Grants on a project (or the whole component): who may create experiments and models, and who reaches everything in it. */
function ProjectAccess() {
  const [draft, setDraft] = useState('default');
  const [project, setProject] = useState('default');
  const element = project === '*' ? '*' : `project:${project}`;
  return (
    <>
      <InlineForm
        submitLabel="Show"
        submitClassName="btn"
        onSubmit={() => setProject(draft.trim() || 'default')}
        after={<span className="muted small">Grant “create” on a project to let people create experiments and models in it; a grant on a project reaches everything inside.</span>}
      >
        <TextField label="Project key" value={draft} onChange={setDraft} placeholder="default, or * for everything" />
      </InlineForm>
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

export default function AdminPage() {
  const [tab, setTab] = useState<(typeof TABS)[number]['id']>('users');
  return (
    <div className="page">
      <PageHead title="Administration" />
      <Tabs label="Administration sections" tabs={TABS} value={tab} onChange={setTab} />
      {tab === 'users' && <Users />}
      {tab === 'groups' && <Groups />}
      {tab === 'access' && <ProjectAccess />}
      {tab === 'audit' && <Audit />}
    </div>
  );
}

const dash = (v: string | undefined | null) => v || <span className="muted">—</span>;

function Users() {
  const qc = useQueryClient();
  const list = useQuery({ queryKey: queryKeys.users(), queryFn: () => users.list() });
  const [creating, setCreating] = useState(false);
  const toggle = useMutation({
    mutationFn: (u: { username: string; active: boolean }) => users.update(u.username, { is_active: u.active }),
    onSuccess: () => qc.invalidateQueries({ queryKey: queryKeys.users() }),
  });
  return (
    <Section
      title={<>Users {list.data && <span className="muted">({list.data.total})</span>}</>}
      aside={
        <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
          New user
        </button>
      }
    >
      <ErrorView error={toggle.error} compact />
      <DataTable
        compact
        query={list}
        rows={list.data?.items ?? []}
        rowKey={(u) => u.username}
        empty="No users."
        columns={[
          { key: 'username', header: 'Username', className: 'mono', cell: (u) => u.username, sortValue: (u) => u.username },
          { key: 'name', header: 'Name', cell: (u) => dash(u.display_name), sortValue: (u) => u.display_name },
          { key: 'email', header: 'Email', cell: (u) => dash(u.email) },
          { key: 'role', header: 'Role', cell: (u) => (u.is_admin ? <span className="pill pill-manage">admin</span> : 'member') },
          { key: 'status', header: 'Status', cell: (u) => (u.is_active ? <span className="pill pill-ok">active</span> : <span className="pill pill-deny">disabled</span>) },
          { key: 'created', header: 'Created', cell: (u) => fmtTime(u.created_at), sortValue: (u) => u.created_at },
          actionsColumn((u: User) => (
            <button
              type="button"
              className={`btn btn-small${u.is_active ? ' btn-danger' : ''}`}
              aria-label={`${u.is_active ? 'Disable' : 'Enable'} ${u.username}`}
              onClick={() =>
                (!u.is_active || window.confirm(`Disable ${u.username}? Their sessions and tokens stop working at once.`)) &&
                toggle.mutate({ username: u.username, active: !u.is_active })
              }
            >
              {u.is_active ? 'Disable' : 'Enable'}
            </button>
          )),
        ]}
      />
      {creating && <CreateUser onClose={() => setCreating(false)} />}
    </Section>
  );
}

function CreateUser({ onClose }: { onClose: () => void }) {
  const qc = useQueryClient();
  const { values: f, set } = useFields({ username: '', display_name: '', email: '', password: '', is_admin: false });
  const create = useMutation({
    mutationFn: () => users.create({ ...f, username: f.username.trim() }),
    onSuccess: () => {
      qc.invalidateQueries({ queryKey: queryKeys.users() });
      onClose();
    },
  });
  return (
    <FormDialog title="New user" onClose={onClose} onSubmit={() => create.mutate()} submitLabel="Create user" busy={create.isPending} error={create.error}>
      <TextField label="Username" value={f.username} onChange={set('username')} required autoComplete="off" />
      <TextField label="Display name" value={f.display_name} onChange={set('display_name')} />
      <TextField label="Email" type="email" value={f.email} onChange={set('email')} />
      <TextField
        label="Initial password"
        type="password"
        value={f.password}
        onChange={set('password')}
        required
        minLength={12}
        autoComplete="new-password"
        hint="At least 12 characters."
      />
      <CheckField label="Administrator" checked={f.is_admin} onChange={set('is_admin')} />
    </FormDialog>
  );
}

function Groups() {
  const qc = useQueryClient();
  const list = useQuery({ queryKey: queryKeys.groups(), queryFn: groups.list });
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [open, setOpen] = useState<string | null>(null);
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
              <button type="button" className="btn btn-small" aria-pressed={open === g.name} onClick={() => setOpen(g.name)}>
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
          { key: 'actor', header: 'Actor', className: 'mono', cell: (a) => a.actor || <span className="muted">anonymous</span> },
          { key: 'action', header: 'Action', className: 'mono', cell: (a) => a.action },
          { key: 'target', header: 'Target', className: 'mono', cell: (a) => a.target },
          { key: 'result', header: 'Result', cell: (a) => <span className={`pill pill-${a.result}`}>{a.result}</span> },
          { key: 'detail', header: 'Detail', className: 'muted small', cell: (a) => a.detail },
          { key: 'ip', header: 'Address', className: 'mono muted', cell: (a) => a.client_ip },
        ]}
      />
    </Section>
  );
}
