import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { audit, groups, users, type AuditFilter } from '../../api/account';
import { ErrorView } from '../../components/ErrorView';
import { fmtTime } from '../../components/format';
import { Modal } from '../../components/Modal';
import { AccessPanel } from '../access/AccessPanel';

/** Grants on a project (or the whole component): who may create experiments and models, and who reaches everything in it. */
function ProjectAccess() {
  const [draft, setDraft] = useState('default');
  const [project, setProject] = useState('default');
  const element = project === '*' ? '*' : `project:${project}`;
  return (
    <>
      <form
        className="form-row"
        onSubmit={(e) => {
          e.preventDefault();
          setProject(draft.trim() || 'default');
        }}
      >
        <label>
          Project key
          <input value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="default, or * for everything" />
        </label>
        <button type="submit" className="btn">
          Show
        </button>
        <span className="muted small">Grant “create” on a project to let people create experiments and models in it; a grant on a project reaches everything inside.</span>
      </form>
      <AccessPanel key={element} element={element} title={`Access to ${element === '*' ? 'everything' : `project “${project}”`}`} />
    </>
  );
}

export default function AdminPage() {
  const [tab, setTab] = useState<'users' | 'groups' | 'access' | 'audit'>('users');
  return (
    <div className="page">
      <div className="page-head">
        <h1>Administration</h1>
      </div>
      <div className="tabs" role="tablist" aria-label="Administration sections">
        {(['users', 'groups', 'access', 'audit'] as const).map((t) => (
          <button key={t} type="button" role="tab" aria-selected={tab === t} onClick={() => setTab(t)}>
            {t === 'users' ? 'Users' : t === 'groups' ? 'Groups' : t === 'access' ? 'Project access' : 'Audit log'}
          </button>
        ))}
      </div>
      {tab === 'users' && <Users />}
      {tab === 'groups' && <Groups />}
      {tab === 'access' && <ProjectAccess />}
      {tab === 'audit' && <Audit />}
    </div>
  );
}

function Users() {
  const qc = useQueryClient();
  const list = useQuery({ queryKey: ['users'], queryFn: () => users.list() });
  const [creating, setCreating] = useState(false);
  const toggle = useMutation({
    mutationFn: (u: { username: string; active: boolean }) => users.update(u.username, { is_active: u.active }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['users'] }),
  });
  return (
    <section className="card" aria-labelledby="users-title">
      <div className="card-head">
        <h2 id="users-title">Users {list.data && <span className="muted">({list.data.total})</span>}</h2>
        <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
          New user
        </button>
      </div>
      <ErrorView error={list.error} onRetry={() => list.refetch()} />
      <ErrorView error={toggle.error} compact />
      <table className="table table-compact">
        <thead>
          <tr>
            <th scope="col">Username</th>
            <th scope="col">Name</th>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            <th scope="col">Status</th>
            <th scope="col">Created</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(list.data?.items ?? []).map((u) => (
            <tr key={u.username}>
              <td className="mono">{u.username}</td>
              <td>{u.display_name || <span className="muted">—</span>}</td>
              <td>{u.email || <span className="muted">—</span>}</td>
              <td>{u.is_admin ? <span className="pill pill-manage">admin</span> : 'member'}</td>
              <td>{u.is_active ? <span className="pill pill-ok">active</span> : <span className="pill pill-deny">disabled</span>}</td>
              <td>{fmtTime(u.created_at)}</td>
              <td className="actions">
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
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {creating && <CreateUser onClose={() => setCreating(false)} />}
    </section>
  );
}

function CreateUser({ onClose }: { onClose: () => void }) {
  const qc = useQueryClient();
  const [f, setF] = useState({ username: '', display_name: '', email: '', password: '', is_admin: false });
  const create = useMutation({
    mutationFn: () => users.create({ ...f, username: f.username.trim() }),
    onSuccess: () => {
      qc.invalidateQueries({ queryKey: ['users'] });
      onClose();
    },
  });
  const set = (k: keyof typeof f) => (e: React.ChangeEvent<HTMLInputElement>) =>
    setF((x) => ({ ...x, [k]: k === 'is_admin' ? e.target.checked : e.target.value }));
  return (
    <Modal title="New user" onClose={onClose}>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <label>
          Username
          <input value={f.username} onChange={set('username')} required autoComplete="off" />
        </label>
        <label>
          Display name
          <input value={f.display_name} onChange={set('display_name')} />
        </label>
        <label>
          Email
          <input type="email" value={f.email} onChange={set('email')} />
        </label>
        <label>
          Initial password
          <input type="password" value={f.password} onChange={set('password')} required minLength={12} autoComplete="new-password" />
          <span className="hint">At least 12 characters.</span>
        </label>
        <label className="check">
          <input type="checkbox" checked={f.is_admin} onChange={set('is_admin')} /> Administrator
        </label>
        <ErrorView error={create.error} compact />
        <div className="form-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={create.isPending}>
            Create user
          </button>
        </div>
      </form>
    </Modal>
  );
}

function Groups() {
  const qc = useQueryClient();
  const list = useQuery({ queryKey: ['groups'], queryFn: groups.list });
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [open, setOpen] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: () => groups.create(name.trim(), description),
    onSuccess: () => {
      setName('');
      setDescription('');
      qc.invalidateQueries({ queryKey: ['groups'] });
    },
  });
  return (
    <div className="grid-2">
      <section className="card" aria-labelledby="groups-title">
        <h2 id="groups-title">Groups</h2>
        <form
          className="form-row"
          onSubmit={(e) => {
            e.preventDefault();
            if (name.trim()) create.mutate();
          }}
        >
          <label>
            Group name
            <input value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <label>
            Description
            <input value={description} onChange={(e) => setDescription(e.target.value)} />
          </label>
          <button type="submit" className="btn btn-primary" disabled={!name.trim() || create.isPending}>
            Create group
          </button>
        </form>
        <ErrorView error={create.error} compact />
        <ErrorView error={list.error} onRetry={() => list.refetch()} />
        <table className="table table-compact">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Description</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(list.data?.items ?? []).length === 0 && (
              <tr>
                <td colSpan={3} className="muted">
                  No groups yet.
                </td>
              </tr>
            )}
            {(list.data?.items ?? []).map((g) => (
              <tr key={g.name} className={open === g.name ? 'selected' : undefined}>
                <td>{g.name}</td>
                <td className="muted">{g.description || '—'}</td>
                <td className="actions">
                  <button type="button" className="btn btn-small" aria-pressed={open === g.name} onClick={() => setOpen(g.name)}>
                    Members
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {open ? <Members group={open} /> : <section className="card empty">Choose a group to see its members.</section>}
    </div>
  );
}

function Members({ group }: { group: string }) {
  const qc = useQueryClient();
  const list = useQuery({ queryKey: ['members', group], queryFn: () => groups.members(group) });
  const [username, setUsername] = useState('');
  const refresh = () => qc.invalidateQueries({ queryKey: ['members', group] });
  const add = useMutation({
    mutationFn: () => groups.addMember(group, username.trim()),
    onSuccess: () => {
      setUsername('');
      refresh();
    },
  });
  const remove = useMutation({ mutationFn: (u: string) => groups.removeMember(group, u), onSuccess: refresh });
  return (
    <section className="card" aria-labelledby="members-title">
      <h2 id="members-title">Members of {group}</h2>
      <form
        className="form-row"
        onSubmit={(e) => {
          e.preventDefault();
          if (username.trim()) add.mutate();
        }}
      >
        <label>
          Username
          <input value={username} onChange={(e) => setUsername(e.target.value)} />
        </label>
        <button type="submit" className="btn btn-primary" disabled={!username.trim() || add.isPending}>
          Add member
        </button>
      </form>
      <ErrorView error={add.error} compact />
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
    </section>
  );
}

const ACTIONS = ['login', 'logout', 'user.create', 'user.update', 'user.bootstrap', 'token.create', 'token.revoke', 'group.create', 'group.member.add', 'group.member.remove', 'element.register', 'element.rename', 'grant.add', 'grant.revoke', 'authorize'];
const PAGE = 50;

function toIso(local: string): string | undefined {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

function Audit() {
  const [draft, setDraft] = useState({ actor: '', action: '', target: '', result: '', since: '', until: '' });
  const [filter, setFilter] = useState<AuditFilter>({});
  const [offset, setOffset] = useState(0);
  const q = useQuery({
    queryKey: ['audit', filter, offset],
    queryFn: () => audit.list({ ...filter, limit: PAGE, offset }),
    placeholderData: (p) => p,
  });
  const set = (k: keyof typeof draft) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => setDraft((d) => ({ ...d, [k]: e.target.value }));
  const total = q.data?.total ?? 0;
  return (
    <section className="card" aria-labelledby="audit-title">
      <h2 id="audit-title">Audit log</h2>
      <form
        className="form-row"
        onSubmit={(e) => {
          e.preventDefault();
          setOffset(0);
          setFilter({
            actor: draft.actor.trim() || undefined,
            action: draft.action || undefined,
            target: draft.target.trim() || undefined,
            result: draft.result || undefined,
            since: toIso(draft.since),
            until: toIso(draft.until),
          });
        }}
      >
        <label>
          Actor
          <input value={draft.actor} onChange={set('actor')} placeholder="username" />
        </label>
        <label>
          Action
          <select value={draft.action} onChange={set('action')}>
            <option value="">any</option>
            {ACTIONS.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </label>
        <label>
          Target
          <input value={draft.target} onChange={set('target')} placeholder="e.g. user:alice" />
        </label>
        <label>
          Result
          <select value={draft.result} onChange={set('result')}>
            <option value="">any</option>
            <option>ok</option>
            <option>error</option>
            <option>denied</option>
            <option>throttled</option>
          </select>
        </label>
        <label>
          Since
          <input type="datetime-local" value={draft.since} onChange={set('since')} />
        </label>
        <label>
          Until
          <input type="datetime-local" value={draft.until} onChange={set('until')} />
        </label>
        <button type="submit" className="btn btn-primary">
          Apply filters
        </button>
      </form>
      <ErrorView error={q.error} onRetry={() => q.refetch()} />
      <table className="table table-compact" aria-label="Audit entries">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Actor</th>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
            <th scope="col">Result</th>
            <th scope="col">Detail</th>
            <th scope="col">Address</th>
          </tr>
        </thead>
        <tbody>
          {(q.data?.items ?? []).length === 0 && !q.isLoading && (
            <tr>
              <td colSpan={7} className="muted">
                No entries match.
              </td>
            </tr>
          )}
          {(q.data?.items ?? []).map((a) => (
            <tr key={a.id}>
              <td style={{ whiteSpace: 'nowrap' }}>{fmtTime(a.at)}</td>
              <td className="mono">{a.actor || <span className="muted">anonymous</span>}</td>
              <td className="mono">{a.action}</td>
              <td className="mono">{a.target}</td>
              <td>
                <span className={`pill pill-${a.result}`}>{a.result}</span>
              </td>
              <td className="muted small">{a.detail}</td>
              <td className="mono muted">{a.client_ip}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="pager">
        <span className="muted">
          {total === 0 ? '0' : `${offset + 1}–${Math.min(offset + PAGE, total)}`} of {total}
        </span>
        <button type="button" className="btn btn-small" disabled={offset === 0} onClick={() => setOffset((o) => Math.max(0, o - PAGE))}>
          ← Newer
        </button>
        <button type="button" className="btn btn-small" disabled={offset + PAGE >= total} onClick={() => setOffset((o) => o + PAGE)}>
          Older →
        </button>
      </div>
    </section>
  );
}
