import type { TraceInfo } from '../../api/types';

/** A trace's state as a coloured word: OK, error, in progress. */
export function TraceState({ state }: { state: TraceInfo['state'] }) {
  const s = state ?? 'STATE_UNSPECIFIED';
  const cls = s === 'OK' ? 'status-finished' : s === 'ERROR' ? 'status-failed' : s === 'IN_PROGRESS' ? 'status-running' : '';
  const word = s === 'OK' ? 'OK' : s === 'ERROR' ? 'error' : s === 'IN_PROGRESS' ? 'in progress' : 'unknown';
  return <span className={`status ${cls}`}>{word}</span>;
}
