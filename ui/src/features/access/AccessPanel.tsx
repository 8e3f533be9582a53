import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { access, type GrantBody } from '../../api/account';
import { queryKeys } from '../../api/queryKeys';
import { KIND_WORDS, ORDERED } from '../../api/catalogue';
import type { Grant, Operation } from '../../api/types';
import { actionsColumn, DataTable } from '../../components/DataTable';
import { ErrorView } from '../../components/ErrorView';
import { Options } from '../../components/Field';
import { fmtTime } from '../../components/format';
import { InlineForm } from '../../components/InlineForm';
import { SubjectPicker, type SubjectKind } from '../../components/pickers';
import { Section } from '../../components/Section';
import { useAccessList, useMyAccessOn } from './useMyAccess';

const OPERATIONS: Operation[] = ORDERED;

function describeElement(e: string): string {
  if (e === '*') return 'everything';
  const i = e.indexOf(':');
  const kind = e.slice(0, i);
  const key = e.slice(i + 1);
  return `${KIND_WORDS[kind] ?? kind} ${key}`;
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
  const mine = useMyAccessOn(element);
  const qc = useQueryClient();
  const [subjectKind, setSubjectKind] = useState<SubjectKind>('user');
  const [subject, setSubject] = useState('');
  const [operation, setOperation] = useState<Operation>('read');
  const [effect, setEffect] = useState<'allow' | 'deny'>('allow');
  const refresh = () => {
    qc.invalidateQueries({ queryKey: queryKeys.access(element) });
    // A grant or revoke may change what anyone (the caller included) may do here and below.
    qc.invalidateQueries({ queryKey: queryKeys.myAccessAll() });
    qc.invalidateQueries({ queryKey: queryKeys.userGrantsAll() });
  };
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

  return (
    <Section title={title} aside={!mine.loading && !mine.canManage && <span className="muted small">Only people who manage this can change access.</span>}>
      <DataTable
        compact
        query={list}
        rows={list.data?.grants ?? []}
        rowKey={(g, i) => `${g.subject}-${g.element}-${g.operation}-${g.effect}-${i}`}
        empty="Nobody has been granted access yet (administrators always have it)."
        columns={[
          {
            key: 'who',
            header: 'Who',
            cell: (g) => {
              const [kind, ...rest] = g.subject.split(':');
              return (
                <>
                  <span className={`subject subject-${kind}`}>{kind === 'group' ? 'Group' : 'User'}</span> {rest.join(':')}
                </>
              );
            },
          },
          {
            key: 'access',
            header: 'Access',
            cell: (g) => (g.effect === 'deny' ? <span className="pill pill-deny">denied</span> : <span className={`pill pill-${g.operation}`}>{g.operation}</span>),
          },
          { key: 'through', header: 'Through', className: 'muted', cell: (g) => (g.inherited ? `inherited from ${describeElement(g.element)}` : 'this item') },
          { key: 'since', header: 'Since', className: 'muted', cell: (g) => fmtTime(g.granted_at) },
          mine.canManage &&
            actionsColumn((g: Grant) =>
              g.inherited ? null : (
                <button
                  type="button"
                  className="btn btn-small btn-danger"
                  aria-label={`Revoke ${g.effect === 'deny' ? 'deny' : g.operation} from ${g.subject}`}
                  disabled={revoke.isPending}
                  onClick={() => revoke.mutate(g)}
                >
                  Revoke
                </button>
              ),
            ),
        ]}
      />
      <ErrorView error={revoke.error} compact />
      {mine.canManage && (
        <InlineForm
          className="grant-form"
          label="Grant access"
          submitLabel="Grant"
          canSubmit={!!subject.trim()}
          busy={grant.isPending}
          error={grant.error}
          onSubmit={() => grant.mutate()}
        >
          <SubjectPicker kind={subjectKind} onKindChange={setSubjectKind} value={subject} onChange={setSubject} />
          <select aria-label="Effect" value={effect} onChange={(e) => setEffect(e.target.value as 'allow' | 'deny')}>
            <Options options={['allow', 'deny']} />
          </select>
          {effect === 'allow' && (
            <select aria-label="Operation" value={operation} onChange={(e) => setOperation(e.target.value as Operation)}>
              <Options options={element === '*' || element.startsWith('project:') ? [...OPERATIONS, 'create'] : OPERATIONS} />
            </select>
          )}
        </InlineForm>
      )}
    </Section>
  );
}
