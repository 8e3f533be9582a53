import { useQueries, useQuery } from '@tanstack/react-query';
import { Link, useParams, useSearchParams } from 'react-router';
import { datasets, type DatasetRecord, type EvalDataset } from '../../api/datasets';
import { experiments } from '../../api/mlflow';
import { queryKeys } from '../../api/queryKeys';
import { DataTable } from '../../components/DataTable';
import { ErrorView } from '../../components/ErrorView';
import { fmtTime } from '../../components/format';
import { Breadcrumbs, PageHead } from '../../components/PageHead';
import { Section } from '../../components/Section';
import { usePagedList } from '../../components/usePagedList';
import { shortTraceId } from '../traces/format';
import { isBlank, ownTags, rangeStatus, shortId, sourceLabel } from './format';
import { JsonCell } from './JsonCell';

export const RECORDS_PAGE = 50;

/** An evaluation dataset: what it is, the experiments it belongs to, and its records a page at a time. */
export default function DatasetPage() {
  const { datasetId = '' } = useParams();
  const [params] = useSearchParams();
  const ds = useQuery({ queryKey: queryKeys.dataset(datasetId), queryFn: ({ signal }) => datasets.get(datasetId, signal) });
  const exps = useQuery({ queryKey: queryKeys.datasetExperiments(datasetId), queryFn: ({ signal }) => datasets.experimentIds(datasetId, signal) });
  const ids = exps.data ?? [];
  // The experiment it was opened from, else the first it belongs to.
  const from = params.get('experiment') || ids[0] || '';
  const fromExp = useQuery({ queryKey: queryKeys.experiment(from), queryFn: () => experiments.get(from), enabled: !!from, retry: false });
  const d = ds.data;
  return (
    <div className="page">
      <Breadcrumbs
        trail={[
          <Link to="/experiments">Experiments</Link>,
          from ? <Link to={`/experiments/${encodeURIComponent(from)}?tab=datasets`}>{fromExp.data?.experiment.name ?? from}</Link> : '…',
          d?.name || shortId(datasetId),
        ]}
      />
      <ErrorView error={ds.error} onRetry={() => ds.refetch()} />
      {d && (
        <>
          <PageHead
            title={
              <>
                Dataset {d.name || <span className="mono">{shortId(d.dataset_id)}</span>}
              </>
            }
          />
          <div className="meta">
            <span>
              ID <span className="mono">{d.dataset_id}</span>
            </span>
            <span>Records {d.num_records ?? '—'}</span>
            <span>Created {fmtTime(d.created_time)}</span>
            {d.created_by && <span>by {d.created_by}</span>}
            <span>Updated {fmtTime(d.last_update_time)}</span>
            {d.last_updated_by && d.last_updated_by !== d.created_by && <span>by {d.last_updated_by}</span>}
            {d.digest && (
              <span>
                Digest <span className="mono">{d.digest}</span>
              </span>
            )}
          </div>
          <DatasetTags dataset={d} />
          <Experiments ids={ids} error={exps.error} loading={exps.isLoading} onRetry={() => exps.refetch()} />
          <Records dataset={d} />
        </>
      )}
    </div>
  );
}

function DatasetTags({ dataset }: { dataset: EvalDataset }) {
  const tags = ownTags(dataset.tags);
  return (
    <div className="tags">
      <ul className="tag-list" aria-label="Dataset tags">
        {tags.length === 0 && <li className="muted">No tags</li>}
        {tags.map((t) => (
          <li key={t.key} className="tag">
            <span className="tag-key">{t.key}</span>
            {t.value && <span className="tag-value">{t.value}</span>}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The experiments a dataset belongs to, by name where the reader may read them. */
function Experiments({ ids, error, loading, onRetry }: { ids: string[]; error: unknown; loading: boolean; onRetry: () => void }) {
  const names = useQueries({ queries: ids.map((id) => ({ queryKey: queryKeys.experiment(id), queryFn: () => experiments.get(id), retry: false })) });
  return (
    <Section title={`Experiments${ids.length ? ` (${ids.length})` : ''}`}>
      <ErrorView error={error} compact onRetry={onRetry} />
      {loading && <p className="muted">Loading…</p>}
      {!loading && !error && ids.length === 0 && <p className="muted">This dataset belongs to no experiment.</p>}
      {ids.length > 0 && (
        <ul className="plain-list" aria-label="Dataset experiments">
          {ids.map((id, i) => {
            const q = names[i];
            const name = q?.data?.experiment.name;
            return (
              <li key={id}>
                {q?.error ? (
                  <>
                    <span className="mono">{id}</span> <span className="muted small">(you may not read this experiment)</span>
                  </>
                ) : (
                  <Link to={`/experiments/${encodeURIComponent(id)}?tab=datasets`}>{name ?? id}</Link>
                )}{' '}
                {name && <span className="muted small mono">#{id}</span>}
              </li>
            );
          })}
        </ul>
      )}
    </Section>
  );
}

function Records({ dataset }: { dataset: EvalDataset }) {
  const id = dataset.dataset_id;
  const { query, pager } = usePagedList({
    queryKey: queryKeys.datasetRecords(id),
    fetchPage: (page_token) => datasets.records(id, { max_results: RECORDS_PAGE, page_token }),
    nextCursor: (r) => r.next_page_token,
  });
  const rows = query.data?.records ?? [];
  const status = rangeStatus(pager.page, RECORDS_PAGE, rows.length, dataset.num_records);
  return (
    <Section title={`Records${dataset.num_records !== undefined ? ` (${dataset.num_records})` : ''}`}>
      <DataTable<DatasetRecord>
        label="Dataset records"
        query={query}
        rows={rows}
        rowKey={(r) => r.dataset_record_id}
        empty={
          <>
            No records yet. Add some from a notebook with <code className="mono">dataset.merge_records(…)</code>.
          </>
        }
        pager={{ ...pager, status: status || undefined }}
        columns={[
          {
            key: 'id',
            header: 'Record',
            className: 'mono muted',
            style: { whiteSpace: 'nowrap' },
            cell: (r) => <span title={r.dataset_record_id}>{shortId(r.dataset_record_id)}</span>,
          },
          { key: 'inputs', header: 'Inputs', className: 'record-value', cell: (r) => <JsonCell value={r.inputs} label={`Inputs of ${r.dataset_record_id}`} /> },
          {
            key: 'expectations',
            header: 'Expectations',
            className: 'record-value',
            cell: (r) => <JsonCell value={r.expectations} label={`Expectations of ${r.dataset_record_id}`} />,
          },
          { key: 'outputs', header: 'Outputs', className: 'record-value', cell: (r) => <JsonCell value={r.outputs} label={`Outputs of ${r.dataset_record_id}`} /> },
          { key: 'source', header: 'Source', cell: (r) => <Source record={r} /> },
          {
            key: 'tags',
            header: 'Tags',
            cell: (r) => (
              <span className="tag-inline">
                {ownTags(r.tags).map((t) => (
                  <span key={t.key} className="tag">
                    <span className="tag-key">{t.key}</span>
                    {t.value && <span className="tag-value">{t.value}</span>}
                  </span>
                ))}
              </span>
            ),
          },
          { key: 'updated', header: 'Updated', cell: (r) => fmtTime(r.last_update_time ?? r.created_time) },
        ]}
      />
    </Section>
  );
}

/** Where a record came from: its kind, the trace it was taken from (a link), and the rest of what MLflow kept about it. */
function Source({ record: r }: { record: DatasetRecord }) {
  const kind = sourceLabel(r.source_type);
  const { trace_id: _traceId, ...rest } = r.source?.source_data ?? {};
  const trace = r.source_type === 'TRACE' ? (r.source_id ?? (typeof _traceId === 'string' ? _traceId : undefined)) : undefined;
  const other = r.source_type === 'TRACE' ? rest : (r.source?.source_data ?? {});
  if (!kind && !r.source_id && isBlank(other)) return <span className="muted">—</span>;
  return (
    <span className="record-source">
      {kind && <span className="pill">{kind}</span>}
      {trace ? (
        <Link to={`/traces/${encodeURIComponent(trace)}`} className="mono" title={trace}>
          {shortTraceId(trace)}
        </Link>
      ) : (
        r.source_id && <span className="mono">{r.source_id}</span>
      )}
      {!isBlank(other) && <JsonCell value={other} label={`Source of ${r.dataset_record_id}`} />}
    </span>
  );
}
