import { useMemo, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { experiments } from '../../api/mlflow';
import { queryKeys } from '../../api/queryKeys';
import { traces, traceSpans } from '../../api/traces';
import type { Assessment, TraceInfo } from '../../api/types';
import { DataTable } from '../../components/DataTable';
import { ErrorView } from '../../components/ErrorView';
import { SelectField, TextAreaField, TextField } from '../../components/Field';
import { fmtTime } from '../../components/format';
import { InlineForm } from '../../components/InlineForm';
import { Breadcrumbs, PageHead } from '../../components/PageHead';
import { Section } from '../../components/Section';
import { TagEditor } from '../../components/Tags';
import { useFields } from '../../components/useFields';
import { ReadOnlyBadge } from '../access/ReadOnlyBadge';
import { useMyAccessOn } from '../access/useMyAccess';
import { useUser } from '../auth/AuthContext';
import {
  assessmentKind,
  assessmentValue,
  feedbackNameError,
  feedbackValue,
  fmtMs,
  parseDuration,
  parseTime,
  shortTraceId,
  showValue,
  traceExperiment,
  userTags,
  type FeedbackKind,
} from './format';
import { SpanTree } from './SpanTree';
import { TraceState } from './TraceState';
import { buildSpanTree, displayId, flattenTree, INPUTS_ATTR, OUTPUTS_ATTR, readSpans, spanMs, traceWindow, type Span } from './spans';

export default function TracePage() {
  const { traceId = '' } = useParams();
  const qc = useQueryClient();
  const q = useQuery({ queryKey: queryKeys.trace(traceId), queryFn: ({ signal }) => traces.get(traceId, signal) });
  const info = q.data?.trace.trace_info;
  const expId = info ? traceExperiment(info) ?? '' : '';
  const exp = useQuery({ queryKey: queryKeys.experiment(expId), queryFn: () => experiments.get(expId), enabled: !!expId });
  const mine = useMyAccessOn(expId ? `experiment:${expId}` : null);
  const canEdit = !!expId && mine.canEdit;
  const refresh = () => {
    qc.invalidateQueries({ queryKey: queryKeys.trace(traceId) });
    if (expId) qc.invalidateQueries({ queryKey: queryKeys.traces(expId) });
  };

  return (
    <div className="page">
      <Breadcrumbs
        trail={[
          <Link to="/experiments">Experiments</Link>,
          expId ? <Link to={`/experiments/${expId}?tab=traces`}>{exp.data?.experiment.name ?? expId}</Link> : '…',
          shortTraceId(traceId),
        ]}
      />
      <ErrorView error={q.error} onRetry={() => q.refetch()} />
      {info && (
        <>
          <PageHead
            title={
              <>
                Trace <span className="mono">{shortTraceId(info.trace_id)}</span>
              </>
            }
          >
            <TraceState state={info.state} />
            <ReadOnlyBadge access={mine} />
          </PageHead>
          <div className="meta">
            <span>
              Trace ID <span className="mono">{info.trace_id}</span>
            </span>
            <span>Started {fmtTime(parseTime(info.request_time))}</span>
            <span>Latency {fmtMs(parseDuration(info.execution_duration))}</span>
            {info.client_request_id && (
              <span>
                Request ID <span className="mono">{info.client_request_id}</span>
              </span>
            )}
          </div>
          <TagEditor
            tags={userTags(info.tags)}
            canEdit={canEdit}
            label="Trace tags"
            onSet={(k, v) => traces.setTag(traceId, k, v)}
            onDelete={(k) => traces.deleteTag(traceId, k)}
            onChanged={refresh}
          />
          <Spans info={info} />
          <Assessments info={info} canEdit={canEdit} onChanged={refresh} />
        </>
      )}
    </div>
  );
}

function Spans({ info }: { info: TraceInfo }) {
  const q = useQuery({ queryKey: queryKeys.traceSpans(info.trace_id), queryFn: ({ signal }) => traceSpans(info, signal), staleTime: Infinity, retry: false });
  const spans = useMemo(() => readSpans(q.data ?? []), [q.data]);
  const rows = useMemo(() => flattenTree(buildSpanTree(spans)), [spans]);
  const timeline = useMemo(() => traceWindow(spans), [spans]);
  const [chosen, setChosen] = useState<string | undefined>();
  const selected = rows.find((r) => r.span.id === chosen)?.span ?? rows[0]?.span;
  return (
    <div className="trace-grid">
      <Section title={`Spans${rows.length ? ` (${rows.length})` : ''}`}>
        <ErrorView error={q.error} compact onRetry={() => q.refetch()} />
        {q.isLoading && <p className="muted">Loading spans…</p>}
        {q.isSuccess && rows.length === 0 && <p className="muted">No spans were recorded for this trace.</p>}
        {rows.length > 0 && <SpanTree rows={rows} timeline={timeline} selected={selected?.id} onSelect={setChosen} />}
      </Section>
      <Section title={selected ? `Span: ${selected.name}` : 'Span'}>
        {selected ? <SpanDetail span={selected} /> : <p className="muted">Choose a span to see its inputs and outputs.</p>}
      </Section>
    </div>
  );
}

export function SpanDetail({ span }: { span: Span }) {
  const ms = spanMs(span);
  const attrs = Object.entries(span.attributes)
    .filter(([k]) => k !== INPUTS_ATTR && k !== OUTPUTS_ATTR)
    .sort(([a], [b]) => a.localeCompare(b));
  return (
    <div className="span-detail">
      <div className="meta">
        {span.type && <span className="span-type">{span.type}</span>}
        <span>Duration {ms === null ? 'still open' : fmtMs(ms)}</span>
        <span className={span.status === 'ERROR' ? 'status status-failed' : 'status'}>{span.status === 'UNSET' ? 'unset' : span.status}</span>
        <span>
          Span <span className="mono">{displayId(span.id)}</span>
        </span>
      </div>
      {span.statusMessage && (
        <div className="alert alert-error alert-compact" role="note">
          {span.statusMessage}
        </div>
      )}
      <h3>Inputs</h3>
      <ValueBlock value={span.inputs} label="Span inputs" />
      <h3>Outputs</h3>
      <ValueBlock value={span.outputs} label="Span outputs" />
      {span.events.length > 0 && (
        <>
          <h3>Events</h3>
          <ul className="plain-list">
            {span.events.map((e, i) => (
              <li key={i}>
                <strong>{e.name}</strong>
                {Object.keys(e.attributes).length > 0 && <pre className="value-block">{showValue(e.attributes)}</pre>}
              </li>
            ))}
          </ul>
        </>
      )}
      <h3>Attributes</h3>
      {attrs.length === 0 ? (
        <p className="muted">No attributes.</p>
      ) : (
        <div className="kv-scroll">
          <table className="kv" aria-label="Span attributes">
            <tbody>
              {attrs.map(([k, v]) => (
                <tr key={k}>
                  <th scope="row">{k}</th>
                  <td className="mono">{typeof v === 'string' ? v : JSON.stringify(v)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function ValueBlock({ value, label }: { value: unknown; label: string }) {
  if (value === undefined || value === null) return <p className="muted">None recorded.</p>;
  return (
    <pre className="value-block" aria-label={label}>
      {showValue(value)}
    </pre>
  );
}

function Assessments({ info, canEdit, onChanged }: { info: TraceInfo; canEdit: boolean; onChanged: () => void }) {
  const list = info.assessments ?? [];
  return (
    <Section title={`Assessments${list.length ? ` (${list.length})` : ''}`}>
      <DataTable<Assessment>
        compact
        label="Assessments"
        rows={list}
        rowKey={(a, i) => a.assessment_id ?? `${a.assessment_name}-${i}`}
        rowClassName={(a) => (a.valid === false ? 'muted' : undefined)}
        empty="No feedback or expectations yet."
        columns={[
          { key: 'name', header: 'Name', cell: (a) => <strong>{a.assessment_name}</strong> },
          { key: 'kind', header: 'Kind', cell: (a) => assessmentKind(a) },
          { key: 'value', header: 'Value', cell: (a) => <span className="mono">{assessmentValue(a)}</span> },
          { key: 'rationale', header: 'Rationale', cell: (a) => a.rationale || <span className="muted">—</span> },
          {
            key: 'source',
            header: 'Source',
            cell: (a) => (
              <>
                {a.source?.source_id || '—'} <span className="muted small">{(a.source?.source_type ?? '').toLowerCase().replace('_', ' ')}</span>
              </>
            ),
          },
          { key: 'time', header: 'Time', cell: (a) => fmtTime(parseTime(a.create_time)) },
        ]}
      />
      {canEdit && <FeedbackForm traceId={info.trace_id} onAdded={onChanged} />}
    </Section>
  );
}

const KINDS: { value: FeedbackKind; label: string }[] = [
  { value: 'yes', label: 'Yes (true)' },
  { value: 'no', label: 'No (false)' },
  { value: 'number', label: 'Number' },
  { value: 'text', label: 'Text' },
];

/** Feedback from the signed-in person: a name, a value (yes/no, a number or text) and why. */
export function FeedbackForm({ traceId, onAdded }: { traceId: string; onAdded: () => void }) {
  const user = useUser();
  const { values, set } = useFields({ name: '', kind: 'yes', text: '', rationale: '' });
  const [problem, setProblem] = useState<string | null>(null);
  const add = useMutation({
    mutationFn: (value: boolean | number | string) =>
      traces.logFeedback(traceId, { name: values.name.trim(), value, rationale: values.rationale.trim(), sourceId: user?.username ?? 'unknown' }),
    onSuccess: () => {
      set('name')('');
      set('text')('');
      set('rationale')('');
      onAdded();
    },
  });
  const kind = values.kind as FeedbackKind;
  const needsText = kind === 'number' || kind === 'text';
  return (
    <InlineForm
      label="Add feedback"
      className="form-row feedback-form"
      submitLabel="Add feedback"
      canSubmit={!!values.name.trim() && (!needsText || !!values.text.trim())}
      busy={add.isPending}
      error={problem ?? add.error}
      onSubmit={() => {
        const nameError = feedbackNameError(values.name);
        const v = feedbackValue(kind, values.text);
        const err = nameError ?? ('error' in v ? v.error : null);
        setProblem(err);
        if (!err && 'value' in v) add.mutate(v.value);
      }}
    >
      <TextField label="Feedback name" value={values.name} onChange={set('name')} placeholder="correctness" />
      <SelectField label="Value" value={values.kind} onChange={set('kind')} options={KINDS} />
      {needsText && <TextField label={kind === 'number' ? 'Number' : 'Text'} value={values.text} onChange={set('text')} inputMode={kind === 'number' ? 'decimal' : undefined} />}
      <TextAreaField label="Rationale" value={values.rationale} onChange={set('rationale')} rows={1} />
    </InlineForm>
  );
}
