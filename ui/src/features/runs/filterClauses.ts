// The runs list's state and time filters, written as MLflow search clauses
// so the server filters (and pages) rather than the browser.

/** Every run status MLflow knows. */
export const RUN_STATES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const;
export type RunState = (typeof RUN_STATES)[number];
/** The ones the list offers. */
export const OFFERED_STATES: readonly RunState[] = ['RUNNING', 'FINISHED', 'FAILED', 'KILLED'];

/**
 * The runs in any of `chosen` states. MLflow compares attributes.status only
 * with = and != (IN is for run ids), so several states are "none of the
 * others". Nothing chosen means no filter.
 */
export function stateClause(chosen: ReadonlySet<RunState>): string {
  const picked = RUN_STATES.filter((s) => chosen.has(s));
  if (picked.length === 0 || picked.length === RUN_STATES.length) return '';
  if (picked.length === 1) return `attributes.status = '${picked[0]}'`;
  return RUN_STATES.filter((s) => !chosen.has(s))
    .map((s) => `attributes.status != '${s}'`)
    .join(' and ');
}

export const WINDOWS = { hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000 } as const;
export type Window = keyof typeof WINDOWS;

/** Started within a window before `from` was taken, or between two times (ms since the epoch, either end open). */
export type TimeRange = { kind: 'any' } | { kind: 'last'; window: Window; from: number } | { kind: 'custom'; from?: number; to?: number };

/** A window counted back from now: fixed once chosen, so one choice is one query. */
export const lastWindow = (window: Window, now = Date.now()): TimeRange => ({ kind: 'last', window, from: now - WINDOWS[window] });

export function timeClause(t: TimeRange): string {
  const parts: string[] = [];
  const from = t.kind === 'any' ? undefined : t.from;
  const to = t.kind === 'custom' ? t.to : undefined;
  if (from !== undefined && Number.isFinite(from)) parts.push(`attributes.start_time >= ${Math.floor(from)}`);
  if (to !== undefined && Number.isFinite(to)) parts.push(`attributes.start_time <= ${Math.floor(to)}`);
  return parts.join(' and ');
}

/** The clauses joined with and (MLflow's only connective), blanks dropped. */
export function joinClauses(...clauses: (string | undefined)[]): string {
  return clauses
    .map((c) => (c ?? '').trim())
    .filter(Boolean)
    .join(' and ');
}

/** A datetime-local input's value (local time) as ms since the epoch; undefined when blank or invalid. */
export function parseLocal(value: string): number | undefined {
  if (!value) return undefined;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : undefined;
}
