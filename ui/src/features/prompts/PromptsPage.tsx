import { useState } from 'react';
import { Link } from 'react-router';
import { prompts } from '../../api/prompts';
import { queryKeys } from '../../api/queryKeys';
import { DataTable } from '../../components/DataTable';
import { SearchInput } from '../../components/Field';
import { fmtTime } from '../../components/format';
import { PageHead } from '../../components/PageHead';
import { useDebounced } from '../../components/useDebounced';
import { usePagedList } from '../../components/usePagedList';
import { latestVersion, ownTags } from './template';

const PAGE = 25;

export default function PromptsPage() {
  const [q, setQ] = useState('');
  const dq = useDebounced(q);
  const { query: list, pager } = usePagedList({
    queryKey: queryKeys.promptList(dq),
    fetchPage: (page_token) => prompts.search({ search: dq, max_results: PAGE, page_token }),
    nextCursor: (r) => r.next_page_token || undefined,
  });
  return (
    <div className="page">
      <PageHead title="Prompts" />
      <div className="toolbar">
        <SearchInput label="Search prompts by name" value={q} onChange={setQ} />
      </div>
      <DataTable
        label="Prompts"
        query={list}
        rows={list.data?.registered_models ?? []}
        rowKey={(m) => m.name}
        empty={
          dq ? (
            `No prompts match “${dq}”.`
          ) : (
            <>
              No prompts yet. Register one from a notebook with <code className="mono">mlflow.genai.register_prompt</code>.
            </>
          )
        }
        pager={pager}
        columns={[
          { key: 'name', header: 'Name', cell: (m) => <Link to={`/prompts/${encodeURIComponent(m.name)}`}>{m.name}</Link> },
          {
            key: 'latest',
            header: 'Latest version',
            cell: (m) => {
              const v = latestVersion(m);
              return v ? `Version ${v}` : <span className="muted">—</span>;
            },
          },
          {
            key: 'aliases',
            header: 'Aliases',
            cell: (m) =>
              (m.aliases ?? []).map((a) => (
                <span key={a.alias} className="alias">
                  @{a.alias} → v{a.version}
                </span>
              )),
          },
          {
            key: 'description',
            header: 'Description',
            className: 'muted',
            cell: (m) => (
              <span className="truncate" style={{ maxWidth: 360 }}>
                {m.description || '—'}
              </span>
            ),
          },
          {
            key: 'tags',
            header: 'Tags',
            cell: (m) => (
              <span className="tag-inline">
                {ownTags(m.tags).map((t) => (
                  <span key={t.key} className="tag">
                    <span className="tag-key">{t.key}</span>
                    {t.value && <span className="tag-value">{t.value}</span>}
                  </span>
                ))}
              </span>
            ),
          },
          { key: 'updated', header: 'Last updated', cell: (m) => fmtTime(m.last_updated_timestamp) },
        ]}
      />
    </div>
  );
}
