import { useState } from 'react';
import { Link } from 'react-router';
import { datasets, type EvalDataset } from '../../api/datasets';
import { queryKeys } from '../../api/queryKeys';
import { DataTable } from '../../components/DataTable';
import { Options, SearchInput } from '../../components/Field';
import { fmtTime } from '../../components/format';
import { Section } from '../../components/Section';
import { useDebounced } from '../../components/useDebounced';
import { usePagedList } from '../../components/usePagedList';
import { ownTags, shortId } from './format';

export const DATASETS_PAGE = 25;

const ORDERS = [
  { value: 'created_time DESC', label: 'Newest first' },
  { value: 'last_update_time DESC', label: 'Recently updated' },
  { value: 'name ASC', label: 'Name A–Z' },
];

/** A link to a dataset's page that remembers the experiment it was opened from. */
export function datasetPath(datasetId: string, experimentId?: string): string {
  return `/datasets/${encodeURIComponent(datasetId)}${experimentId ? `?experiment=${encodeURIComponent(experimentId)}` : ''}`;
}

/** The Datasets tab of an experiment: its evaluation datasets (MLflow 3 GenAI), a page at a time. */
export default function DatasetsTab({ experimentId }: { experimentId: string }) {
  const [q, setQ] = useState('');
  const search = useDebounced(q.trim());
  const [order, setOrder] = useState(ORDERS[0].value);
  const { query, pager } = usePagedList({
    queryKey: queryKeys.datasetList(experimentId, search, order),
    fetchPage: (page_token) => datasets.search({ experimentIds: [experimentId], search, order_by: [order], max_results: DATASETS_PAGE, page_token }),
    nextCursor: (r) => r.next_page_token,
  });
  return (
    <Section title="Evaluation datasets">
      <div className="toolbar">
        <SearchInput label="Search datasets by name" value={q} onChange={setQ} />
        <label className="inline-label">
          Order
          <select aria-label="Order datasets" value={order} onChange={(e) => setOrder(e.target.value)}>
            <Options options={ORDERS} />
          </select>
        </label>
      </div>
      <DataTable<EvalDataset>
        label="Evaluation datasets"
        query={query}
        rows={query.data?.datasets ?? []}
        rowKey={(d) => d.dataset_id}
        empty={
          search ? (
            `No datasets match “${search}”.`
          ) : (
            <>
              No evaluation datasets yet. Create one from a notebook with <code className="mono">mlflow.genai.datasets.create_dataset</code>.
            </>
          )
        }
        pager={pager}
        columns={[
          { key: 'name', header: 'Name', cell: (d) => <Link to={datasetPath(d.dataset_id, experimentId)}>{d.name || d.dataset_id}</Link> },
          {
            key: 'id',
            header: 'ID',
            className: 'mono muted',
            cell: (d) => <span title={d.dataset_id}>{shortId(d.dataset_id)}</span>,
          },
          { key: 'records', header: 'Records', className: 'num', cell: (d) => (d.num_records === undefined ? <span className="muted">—</span> : d.num_records) },
          { key: 'created', header: 'Created', cell: (d) => fmtTime(d.created_time) },
          { key: 'updated', header: 'Updated', cell: (d) => fmtTime(d.last_update_time) },
          { key: 'by', header: 'Created by', cell: (d) => d.created_by ?? <span className="muted">—</span> },
          {
            key: 'tags',
            header: 'Tags',
            cell: (d) => (
              <span className="tag-inline">
                {ownTags(d.tags).map((t) => (
                  <span key={t.key} className="tag">
                    <span className="tag-key">{t.key}</span>
                    {t.value && <span className="tag-value">{t.value}</span>}
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
