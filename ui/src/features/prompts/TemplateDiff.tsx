import { useMemo } from 'react';
import { diffStats, foldUnchanged, lineDiff } from './lineDiff';

/** Two templates line by line: removed lines red with −, added green with +, long unchanged stretches folded. */
export function TemplateDiff({ oldText, newText, label }: { oldText: string; newText: string; label: string }) {
  const lines = useMemo(() => lineDiff(oldText, newText), [oldText, newText]);
  const stats = diffStats(lines);
  const items = useMemo(() => foldUnchanged(lines), [lines]);
  if (stats.added === 0 && stats.removed === 0) return <p className="muted">The two templates are identical.</p>;
  return (
    <>
      <p className="small" data-testid="diff-stats">
        <span className="diff-plus">+{stats.added}</span> <span className="diff-minus">−{stats.removed}</span> lines
      </p>
      <div className="diff-scroll">
        <table className="diff" aria-label={label}>
          <tbody>
            {items.map((l, i) =>
              l.kind === 'skip' ? (
                <tr key={i} className="diff-skip">
                  <td colSpan={4}>⋯ {l.count} unchanged lines</td>
                </tr>
              ) : (
                <tr key={i} className={`diff-${l.kind}`} data-kind={l.kind}>
                  <td className="diff-no">{l.a ?? ''}</td>
                  <td className="diff-no">{l.b ?? ''}</td>
                  <td className="diff-sign" aria-label={l.kind === 'add' ? 'added' : l.kind === 'del' ? 'removed' : undefined}>
                    {l.kind === 'add' ? '+' : l.kind === 'del' ? '−' : ' '}
                  </td>
                  <td className="diff-text">{l.text || '\u00a0'}</td>
                </tr>
              ),
            )}
          </tbody>
        </table>
      </div>
    </>
  );
}
