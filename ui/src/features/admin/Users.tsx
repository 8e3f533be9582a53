import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { users } from '../../api/account';
import { queryKeys } from '../../api/queryKeys';
import type { Grant, User } from '../../api/types';
import { actionsColumn, DataTable } from '../../components/DataTable';
import { ErrorView } from '../../components/ErrorView';
import { CheckField, TextField } from '../../components/Field';
import { fmtTime } from '../../components/format';
import { FormDialog } from '../../components/Modal';
import { NewPasswordFields, useNewPassword } from '../../components/NewPassword';
import { Section } from '../../components/Section';
import { useFields } from '../../components/useFields';
import { useUser } from '../auth/AuthContext';
import { keepAdmin, targetHref } from './guard';

const dash = (v: string | undefined | null) => v || <span className="muted">—</span>;

/** The users: create, edit, reset a password, disable; `selected` shows one user's access below the list. */
export function Users({ selected, onSelect }: { selected: string | null; onSelect: (username: string | null) => void }) {
  const qc = useQueryClient();
  const me = useUser()?.username;
  const list = useQuery({ queryKey: queryKeys.users(), queryFn: () => users.list() });
  const all = list.data?.items ?? [];
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<User | null>(null);
  const [resetting, setResetting] = useState<User | null>(null);
  const toggle = useMutation({
    mutationFn: (u: { username: string; active: boolean }) => users.update(u.username, { is_active: u.active }),
    onSuccess: () => qc.invalidateQueries({ queryKey: queryKeys.users() }),
  });
  const chosen = all.find((u) => u.username === selected);
  return (
    <>
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
          label="Users"
          query={list}
          rows={all}
          rowKey={(u) => u.username}
          rowClassName={(u) => (u.username === selected ? 'selected' : undefined)}
          empty="No users."
          columns={[
            { key: 'username', header: 'Username', className: 'mono', cell: (u) => u.username, sortValue: (u) => u.username },
            { key: 'name', header: 'Name', cell: (u) => dash(u.display_name), sortValue: (u) => u.display_name },
            { key: 'email', header: 'Email', cell: (u) => dash(u.email) },
            { key: 'role', header: 'Role', cell: (u) => (u.is_admin ? <span className="pill pill-manage">admin</span> : 'member') },
            { key: 'status', header: 'Status', cell: (u) => (u.is_active ? <span className="pill pill-ok">active</span> : <span className="pill pill-deny">disabled</span>) },
            { key: 'created', header: 'Created', cell: (u) => fmtTime(u.created_at), sortValue: (u) => u.created_at },
            actionsColumn((u: User) => {
              const kept = keepAdmin(u, all, me);
              return (
                <>
                  <button type="button" className="btn btn-small" aria-pressed={u.username === selected} aria-label={`Access of ${u.username}`} onClick={() => onSelect(u.username === selected ? null : u.username)}>
                    Access
                  </button>
                  <button type="button" className="btn btn-small" aria-label={`Edit ${u.username}`} onClick={() => setEditing(u)}>
                    Edit
                  </button>
                  {u.username !== me && (
                    <button type="button" className="btn btn-small" aria-label={`Reset password of ${u.username}`} onClick={() => setResetting(u)}>
                      Reset password
                    </button>
                  )}
                  {!kept && (
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
                  )}
                </>
              );
            }),
          ]}
        />
        {creating && <CreateUser onClose={() => setCreating(false)} />}
        {editing && <EditUser user={editing} kept={keepAdmin(editing, all, me)} onClose={() => setEditing(null)} />}
        {resetting && <ResetPassword user={resetting} onClose={() => setResetting(null)} />}
      </Section>
      {selected && <UserAccess username={selected} user={chosen} onClose={() => onSelect(null)} />}
    </>
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

/** The fields of `after` that differ from `before`: a PATCH sends only what changed. */
export function changedProfile(before: User, after: { display_name: string; email: string; is_admin: boolean }) {
  const patch: Partial<Pick<User, 'display_name' | 'email' | 'is_admin'>> = {};
  if (after.display_name !== (before.display_name ?? '')) patch.display_name = after.display_name;
  if (after.email.trim() !== (before.email ?? '')) patch.email = after.email.trim();
  if (after.is_admin !== before.is_admin) patch.is_admin = after.is_admin;
  return patch;
}

/** Display name, email and the admin role; `kept` says why the role may not be taken away. */
export function EditUser({ user, kept, onClose }: { user: User; kept: string | null; onClose: () => void }) {
  const qc = useQueryClient();
  const { values: f, set } = useFields({ display_name: user.display_name ?? '', email: user.email ?? '', is_admin: user.is_admin });
  const patch = changedProfile(user, f);
  const save = useMutation({
    mutationFn: () => users.update(user.username, patch),
    onSuccess: () => {
      qc.invalidateQueries({ queryKey: queryKeys.users() });
      onClose();
    },
  });
  return (
    <FormDialog
      title={`Edit ${user.username}`}
      onClose={onClose}
      onSubmit={() => save.mutate()}
      submitLabel="Save"
      canSubmit={Object.keys(patch).length > 0}
      busy={save.isPending}
      error={save.error}
    >
      <TextField label="Display name" value={f.display_name} onChange={set('display_name')} maxLength={128} />
      <TextField label="Email" type="email" value={f.email} onChange={set('email')} />
      {kept && user.is_admin ? (
        <p className="muted small" data-testid="admin-kept">
          Administrator. {kept}
        </p>
      ) : (
        <CheckField label="Administrator" checked={f.is_admin} onChange={set('is_admin')} />
      )}
    </FormDialog>
  );
}

/** An admin's reset of someone's password: every session and API token of theirs stops working. */
export function ResetPassword({ user, onClose }: { user: User; onClose: () => void }) {
  const fresh = useNewPassword();
  const [done, setDone] = useState(false);
  const reset = useMutation({ mutationFn: () => users.update(user.username, { password: fresh.pw }), onSuccess: () => setDone(true) });
  if (done) {
    return (
      <FormDialog title={`Password of ${user.username} reset`} onClose={onClose} onSubmit={onClose} submitLabel="Done">
        <p role="status">
          The new password works now. Every session and API token {user.username} had was revoked: they sign in again with the new password and create new tokens.
        </p>
      </FormDialog>
    );
  }
  return (
    <FormDialog
      title={`Reset password of ${user.username}`}
      onClose={onClose}
      onSubmit={() => reset.mutate()}
      submitLabel="Reset password"
      canSubmit={fresh.ok}
      busy={reset.isPending}
      error={reset.error}
    >
      <p className="alert alert-warn">This signs {user.username} out everywhere: all their sessions and API tokens stop working at once.</p>
      <NewPasswordFields state={fresh} />
    </FormDialog>
  );
}

function subjectLabel(g: Grant, username: string) {
  return g.subject === `user:${username}` ? 'directly' : g.subject.startsWith('group:') ? `group ${g.subject.slice(6)}` : g.subject;
}

/** What a user may do: their grants and their groups', with links to the elements. */
export function UserAccess({ username, user, onClose }: { username: string; user?: User; onClose: () => void }) {
  const q = useQuery({ queryKey: queryKeys.userGrants(username), queryFn: () => users.grants(username) });
  const grants = q.data?.grants ?? [];
  return (
    <Section
      title={`What ${username} may do`}
      aside={
        <button type="button" className="btn btn-small" onClick={onClose}>
          Close
        </button>
      }
    >
      {user?.is_admin && <p className="alert alert-ok">{username} is an admin and may do everything, whatever the grants below say.</p>}
      {user && !user.is_active && <p className="alert alert-warn">{username} is disabled and may do nothing.</p>}
      <DataTable
        compact
        label={`Grants of ${username}`}
        query={q}
        rows={grants}
        rowKey={(g, i) => `${g.subject}|${g.element}|${g.operation ?? ''}|${g.effect}|${i}`}
        empty={`No grants: ${username} sees nothing but what they create.`}
        columns={[
          {
            key: 'element',
            header: 'Element',
            className: 'mono',
            sortValue: (g) => g.element,
            cell: (g) => {
              const href = targetHref(g.element);
              return href ? <Link to={href}>{g.element}</Link> : g.element === '*' ? 'everything (*)' : g.element;
            },
          },
          {
            key: 'op',
            header: 'Operation',
            cell: (g) => (g.effect === 'deny' ? <span className="pill pill-deny">deny</span> : <span className={`pill pill-${g.operation}`}>{g.operation}</span>),
          },
          { key: 'via', header: 'Through', cell: (g) => subjectLabel(g, username) },
          { key: 'granted', header: 'Granted', cell: (g) => fmtTime(g.granted_at), sortValue: (g) => g.granted_at },
        ]}
      />
    </Section>
  );
}
