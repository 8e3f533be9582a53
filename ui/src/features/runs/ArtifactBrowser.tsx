import { useState } from 'react';
import { useInfiniteQuery } from '@tanstack/react-query';
import { artifacts } from '../../api/mlflow';
import { queryKeys } from '../../api/queryKeys';
import type { FileInfo } from '../../api/types';
import { ErrorView } from '../../components/ErrorView';
import { fmtBytes } from '../../components/format';
import { ArtifactPreview } from './ArtifactPreview';

function Dir({ runId, path, selected, onSelect }: { runId: string; path?: string; selected?: FileInfo; onSelect: (f: FileInfo) => void }) {
  const q = useInfiniteQuery({
    queryKey: queryKeys.artifacts(runId, path ?? ''),
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => artifacts.list(runId, path, pageParam),
    getNextPageParam: (last) => last.next_page_token || undefined,
  });
  const [open, setOpen] = useState<Record<string, boolean>>({});
  if (q.error) return <ErrorView error={q.error} compact onRetry={() => q.refetch()} />;
  if (q.isLoading) return <p className="muted small">Loading…</p>;
  const files = [...(q.data?.pages ?? []).flatMap((p) => p.files ?? [])].sort((a, b) => Number(!!b.is_dir) - Number(!!a.is_dir) || a.path.localeCompare(b.path));
  if (!path && files.length === 0) return <p className="muted small">No artifacts.</p>;
  return (
    <ul role={path ? 'group' : 'tree'} aria-label={path ? undefined : 'Artifacts'}>
      {files.map((f) => {
        const name = f.path.split('/').pop();
        if (f.is_dir) {
          const isOpen = !!open[f.path];
          return (
            <li key={f.path} role="treeitem" aria-expanded={isOpen}>
              <button type="button" className="tree-item" onClick={() => setOpen((o) => ({ ...o, [f.path]: !isOpen }))}>
                <span aria-hidden="true" className="tree-caret">{isOpen ? '▾' : '▸'}</span>
                <span aria-hidden="true" className="icon-folder" />
                {name}
              </button>
              {isOpen && <Dir runId={runId} path={f.path} selected={selected} onSelect={onSelect} />}
            </li>
          );
        }
        return (
          <li key={f.path} role="treeitem" aria-selected={selected?.path === f.path}>
            <button type="button" className="tree-item" aria-current={selected?.path === f.path} onClick={() => onSelect(f)}>
              <span aria-hidden="true" className="icon-file" />
              <span className="truncate">{name}</span>
              <span className="tree-size">{fmtBytes(f.file_size)}</span>
            </button>
          </li>
        );
      })}
      {q.hasNextPage && (
        <li>
          <button type="button" className="btn btn-link btn-small" disabled={q.isFetchingNextPage} onClick={() => q.fetchNextPage()}>
            Show more files…
          </button>
        </li>
      )}
    </ul>
  );
}

export function ArtifactBrowser({ runId }: { runId: string }) {
  const [selected, setSelected] = useState<FileInfo | undefined>();
  return (
    <div className="artifacts">
      <div className="tree">
        <Dir runId={runId} selected={selected} onSelect={setSelected} />
      </div>
      {selected ? (
        <ArtifactPreview key={selected.path} runId={runId} path={selected.path} size={selected.file_size} />
      ) : (
        <div className="preview empty">Choose a file to preview it.</div>
      )}
    </div>
  );
}
