import { useState } from 'react';
import { Link } from 'react-router';
import { isApiError } from '../../api/client';
import { queryKeys } from '../../api/queryKeys';
import { traces } from '../../api/traces';
import { DataTable } from '../../components/DataTable';
import { Options } from '../../components/Field';
import { fmtTime } from '../../components/format';
import { InlineForm } from '../../components/InlineForm';
import { Section } from '../../components/Section';
import { usePagedList } from '../../components/usePagedList';
import { TraceState } from './TraceState';
import { assessmentSummary, fmtMs, parseDuration, parseTime, previewText, shortTraceId, userTags } from './format';

export const TRACES_PAGE = 25;

const ORDERS = [
  { value: 'timestamp_ms DESC', label: 'Newest first' },
  { value: 'timestamp_ms ASC', label: 'Oldest first' },
  { value: 'execution_time_ms DESC', label: 'Slowest first' },
  { value: 'execution_time_ms ASC', label: 'Fastest first' },
];

/** The Traces tab of an experiment: its traces, newest first, a page at a time. */
export default function TracesTab({ experimentId }: { experimentId: string }) {
  const [draft, setDraft] = useState('');
  const [filter, setFilter] = useState('');
  const [order, setOrder] = useState(ORDERS[0].value);
  const { query, pager } = usePagedList({
    queryKey: queryKeys.traceList(experimentId, filter, order),
    fetchPage: (page_token) => traces.search({ experimentId, filter, order_by: [order], max_results: TRACES_PAGE, page_token }),
    nextCursor: (r) => r.next_page_token || undefined,
  });
  const rows = query.data?.traces ?? [];
  const invalid = isApiError(query.error) && query.error.kind === 'invalid';
  return (
    <Section title="Traces">
      <div className="toolbar">
        <InlineForm
          className="filter-form"
          submitClassName="btn"
          submitLabel="Apply"
          onSubmit={() => setFilter(draft.trim())}
          after={
            filter && (
              <button
                type="button"
                className="btn btn-link"
                onClick={() => {
                  setDraft('');
                  setFilter('');
                }}
              >
                Clear
              </button>
            )
          }
        >
          <input
            type="search"
            className="search search-wide mono"
            aria-label="Filter traces (MLflow search syntax)"
            placeholder="trace.status = 'ERROR' or tags.reviewed = 'yes'"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            aria-invalid={invalid}
          />
        </InlineForm>
        <label className="inline-label">
          Order
          <select aria-label="Order traces" value={order} onChange={(e) => setOrder(e.target.value)}>
            <Options options={ORDERS} />
          </select>
        </label>
      </div>
      <DataTable
        label="Traces"
        query={query}
        rows={rows}
        rowKey={(t) => t.trace_id}
        empty={
          filter ? (
            'No traces match this filter.'
          ) : (
            <>
              No traces yet. Trace calls with <code className="mono">@mlflow.trace</code> in a notebook pointed at this experiment.
            </>
          )
        }
        pager={pager}
        columns={[
          {
            key: 'id',
            header: 'Trace',
            cell: (t) => (
              <Link to={`/traces/${encodeURIComponent(t.trace_id)}`} className="mono" aria-label={`Trace ${t.trace_id}`} title={t.trace_id}>
                {shortTraceId(t.trace_id)}
              </Link>
            ),
          },
          { key: 'request', header: 'Request', cell: (t) => <Preview text={t.request_preview} /> },
          { key: 'response', header: 'Response', cell: (t) => <Preview text={t.response_preview} /> },
          { key: 'state', header: 'State', cell: (t) => <TraceState state={t.state} /> },
          { key: 'latency', header: 'Latency', className: 'num', cell: (t) => fmtMs(parseDuration(t.execution_duration)) },
          { key: 'time', header: 'Time', cell: (t) => fmtTime(parseTime(t.request_time)) },
          {
            key: 'assessments',
            header: 'Assessments',
            cell: (t) => {
              const s = assessmentSummary(t.assessments);
              return s.length === 0 ? (
                <span className="muted">—</span>
              ) : (
                <span className="tag-inline">
                  {s.map((a) => (
                    <span key={a.name} className="pill">
                      {a.name}
                      {a.count > 1 ? ` ×${a.count}` : ''}
                    </span>
                  ))}
                </span>
              );
            },
          },
          {
            key: 'tags',
            header: 'Tags',
            cell: (t) => (
              <span className="tag-inline">
                {userTags(t.tags).map((tag) => (
                  <span key={tag.key} className="tag">
                    <span className="tag-key">{tag.key}</span>
                    {tag.value && <span className="tag-value">{tag.value}</span>}
                  </span>
                ))}
              </span>
            ),
          },
        ]}
      />
    </Section>
  );
}

function Preview({ text }: { text?: string }) {
  const p = previewText(text);
  return p ? (
    <span className="truncate mono" style={{ maxWidth: 260 }} title={text}>
      {p}
    </span>
  ) : (
    <span className="muted">—</span>
  );
}
