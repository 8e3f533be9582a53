import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { access, groups, type GrantBody } from '../../api/account';
import type { Grant, Operation } from '../../api/types';
import { ErrorView } from '../../components/ErrorView';
import { fmtTime } from '../../components/format';
import { useAccessList, useMyAccess } from './useMyAccess';

function describeElement(e: string): string {
  if (e === '*') return 'everything';
  const i = e.indexOf(':');
  const kind = e.slice(0, i);
  const key = e.slice(i + 1);
  return `${kind === 'registered_model' ? 'model' : kind} ${key}`;
}

function bodyOf(g: Grant): GrantBody {
  const [kind, ...rest] = g.subject.split(':');
  const name = rest.join(':');
  return {
    element: g.element,
    effect: g.effect,
    operation: g.effect === 'allow' ? g.operation : undefined,
    ...(kind === 'group' ? { group: name } : { user: name }),
  };
}

/** Who has access to an element; managers may grant and revoke. */
export function AccessPanel({ element, title = 'Who has access' }: { element: string; title?: string }) {
  const list = useAccessList(element);
  const mine = useMyAccess(element);
  const qc = useQueryClient();
  const [subjectKind, setSubjectKind] = useState<'user' | 'group'>('user');
  const [subject, setSubject] = useState('');
  const [operation, setOperation] = useState<Operation>('read');
  const [effect, setEffect] = useState<'allow' | 'deny'>('allow');
  const refresh = () => qc.invalidateQueries({ queryKey: ['access', element] });
  const groupList = useQuery({ queryKey: ['groups'], queryFn: groups.list, enabled: mine.canManage && subjectKind === 'group', retry: false });
  const grant = useMutation({
    mutationFn: () =>
      access.grant({
        element,
        effect,
        operation: effect === 'allow' ? operation : undefined,
        [subjectKind]: subject.trim(),
      }),
    onSuccess: () => {
      setSubject('');
      refresh();
    },
  });
  const revoke = useMutation({ mutationFn: (g: Grant) => access.revoke(bodyOf(g)), onSuccess: refresh });

  const grants = list.data?.grants ?? [];
  return (
    <section className="card" aria-labelledby="access-title">
      <div className="card-head">
        <h2 id="access-title">{title}</h2>
        {!mine.loading && !mine.canManage && <span className="muted small">Only people who manage this can change access.</span>}
      </div>
      <ErrorView error={list.error} onRetry={() => list.refetch()} />
      {list.isLoading && <p className="muted">Loading…</p>}
      {list.data && (
        <table className="table table-compact">
          <thead>
            <tr>
              <th scope="col">Who</th>
              <th scope="col">Access</th>
              <th scope="col">Through</th>
              <th scope="col">Since</th>
              {mine.canManage && (
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {grants.length === 0 && (
              <tr>
                <td colSpan={5} className="muted">
                  Nobody has been granted access yet (administrators always have it).
                </td>
              </tr>
            )}
            {grants.map((g, i) => {
              const [kind, ...rest] = g.subject.split(':');
              return (
                <tr key={`${g.subject}-${g.element}-${g.operation}-${g.effect}-${i}`}>
                  <td>
                    <span className={`subject subject-${kind}`}>{kind === 'group' ? 'Group' : 'User'}</span> {rest.join(':')}
                  </td>
                  <td>
                    {g.effect === 'deny' ? <span className="pill pill-deny">denied</span> : <span className={`pill pill-${g.operation}`}>{g.operation}</span>}
                  </td>
                  <td className="muted">{g.inherited ? `inherited from ${describeElement(g.element)}` : 'this item'}</td>
                  <td className="muted">{fmtTime(g.granted_at)}</td>
                  {mine.canManage && (
                    <td className="actions">
                      {!g.inherited && (
                        <button
                          type="button"
                          className="btn btn-small btn-danger"
                          aria-label={`Revoke ${g.effect === 'deny' ? 'deny' : g.operation} from ${g.subject}`}
                          disabled={revoke.isPending}
                          onClick={() => revoke.mutate(g)}
                        >
                          Revoke
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <ErrorView error={revoke.error} compact />
      {mine.canManage && (
        <form
          className="grant-form"
          aria-label="Grant access"
          onSubmit={(e) => {
            e.preventDefault();
            if (subject.trim()) grant.mutate();
          }}
        >
          <select aria-label="Grant to" value={subjectKind} onChange={(e) => setSubjectKind(e.target.value as 'user' | 'group')}>
            <option value="user">User</option>
            <option value="group">Group</option>
          </select>
          <input
            aria-label={subjectKind === 'user' ? 'Username' : 'Group name'}
            placeholder={subjectKind === 'user' ? 'username' : 'group name'}
            value={subject}
            list={subjectKind === 'group' ? 'access-groups' : undefined}
            onChange={(e) => setSubject(e.target.value)}
          />
          <datalist id="access-groups">
            {(groupList.data?.items ?? []).map((g) => (
              <option key={g.name} value={g.name} />
            ))}
          </datalist>
          <select aria-label="Effect" value={effect} onChange={(e) => setEffect(e.target.value as 'allow' | 'deny')}>
            <option value="allow">allow</option>
            <option value="deny">deny</option>
          </select>
          {effect === 'allow' && (
            <select aria-label="Operation" value={operation} onChange={(e) => setOperation(e.target.value as Operation)}>
              <option value="read">read</option>
              <option value="edit">edit</option>
              <option value="manage">manage</option>
              {(element === '*' || element.startsWith('project:')) && <option value="create">create</option>}
            </select>
          )}
          <button type="submit" className="btn btn-primary" disabled={grant.isPending || !subject.trim()}>
            Grant
          </button>
          <ErrorView error={grant.error} compact />
        </form>
      )}
    </section>
  );
}
