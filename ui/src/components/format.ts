// Date.toLocaleString with options builds a new formatter on every call
// (a tenth of a millisecond or more, once per cell of a table); these are
// built once, on first use, in the browser's locale as it would use.
const formatters = new Map<'minute' | 'second', Intl.DateTimeFormat>();
function dateFormat(to: 'minute' | 'second'): Intl.DateTimeFormat {
  let f = formatters.get(to);
  if (!f) {
    f = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', ...(to === 'second' ? { second: '2-digit' } : {}) });
    formatters.set(to, f);
  }
  return f;
}

function fmtDate(ms: number | string | null | undefined, to: 'minute' | 'second'): string {
  if (ms === undefined || ms === null || ms === '') return '—';
  const d = new Date(typeof ms === 'string' && /^\d+$/.test(ms) ? Number(ms) : ms);
  if (Number.isNaN(d.getTime())) return '—';
  return dateFormat(to).format(d);
}

export function fmtTime(ms?: number | string | null): string {
  return fmtDate(ms, 'minute');
}

export function fmtNum(v: number | undefined | null): string {
  if (v === undefined || v === null || Number.isNaN(v)) return '—';
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
  return String(Number(v.toPrecision(5)));
}

export function fmtBytes(n?: number): string {
  if (n === undefined || n === null) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** A time to the second, for things that happen seconds apart (runs of a sweep). */
export function fmtTimeSec(ms?: number | string | null): string {
  return fmtDate(ms, 'second');
}

/** Milliseconds under a second, tenths under a minute, then minutes and hours. */
export function fmtDuration(start?: number | string, end?: number | string): string {
  if (!start || !end) return '—';
  const ms = Number(end) - Number(start);
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}
