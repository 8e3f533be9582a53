import type { Assessment, TraceInfo } from '../../api/types';

/** A protobuf Duration as MLflow writes it ("0.250s", "3s", "1.000000001s") in milliseconds; null when absent or unreadable. */
export function parseDuration(d: string | number | undefined | null): number | null {
  if (d === undefined || d === null || d === '') return null;
  if (typeof d === 'number') return Number.isFinite(d) ? d : null;
  const m = /^(-?\d+(?:\.\d+)?)s$/.exec(d.trim());
  return m ? Number(m[1]) * 1000 : null;
}

/** An RFC 3339 time ("2026-12-03T08:00:00.123Z") or epoch milliseconds as epoch milliseconds; null when absent or unreadable. */
export function parseTime(t: string | number | undefined | null): number | null {
  if (t === undefined || t === null || t === '') return null;
  if (typeof t === 'number') return Number.isFinite(t) ? t : null;
  if (/^\d+$/.test(t)) return Number(t);
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? null : ms;
}

/** A latency for people: "0.4 ms", "85 ms", "1.25 s", "2m 05s". */
export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1) return `${Number(ms.toFixed(2))} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(ms < 10_000 ? 2 : 1))} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** "tr-0123456789abcdef…" → "tr-01234567": enough to tell traces apart in a list. */
export function shortTraceId(id: string): string {
  const m = /^(tr-)?(.*)$/.exec(id)!;
  return (m[1] ?? '') + m[2].slice(0, 8);
}

/** A request or response preview on one line, cut at `max` characters with an ellipsis. */
export function previewText(s: string | undefined | null, max = 80): string {
  if (!s) return '';
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** Any decoded value for display: strings as they are, everything else as indented JSON. */
export function showValue(v: unknown): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  try {
    return JSON.stringify(v, null, 2) ?? String(v);
  } catch {
    return String(v);
  }
}

/** An assessment's value on one line: feedback, then expectation; an error says so. */
export function assessmentValue(a: Assessment): string {
  if (a.feedback) {
    if (a.feedback.value === undefined || a.feedback.value === null) {
      const e = a.feedback.error;
      return e ? `error: ${e.error_message || e.error_code || 'unknown'}` : '—';
    }
    return oneLine(a.feedback.value);
  }
  if (a.expectation) {
    if (a.expectation.value !== undefined) return oneLine(a.expectation.value);
    const sv = a.expectation.serialized_value?.value;
    if (sv !== undefined) {
      try {
        return oneLine(JSON.parse(sv));
      } catch {
        return sv;
      }
    }
  }
  return '—';
}

function oneLine(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.join(', ');
  return JSON.stringify(v) ?? String(v);
}

export function assessmentKind(a: Assessment): 'feedback' | 'expectation' | 'other' {
  return a.feedback ? 'feedback' : a.expectation ? 'expectation' : 'other';
}

/** The experiment a trace is logged in. */
export function traceExperiment(t: TraceInfo): string | undefined {
  return t.trace_location?.mlflow_experiment?.experiment_id;
}

/** A trace's own tags: MLflow's (mlflow.*) are its bookkeeping and left out. */
export function userTags(tags: Record<string, string> | undefined): { key: string; value: string }[] {
  return Object.entries(tags ?? {})
    .filter(([k]) => !k.startsWith('mlflow.'))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => ({ key, value }));
}

/** The assessment names of a trace, each once, in first-seen order, with how many carry it. */
export function assessmentSummary(list: readonly Assessment[] | undefined): { name: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const a of list ?? []) {
    if (a.valid === false) continue;
    counts.set(a.assessment_name, (counts.get(a.assessment_name) ?? 0) + 1);
  }
  return [...counts].map(([name, count]) => ({ name, count }));
}

export type FeedbackKind = 'yes' | 'no' | 'number' | 'text';

/** The feedback value the form's choice and text stand for; an error message when the text does not fit. */
export function feedbackValue(kind: FeedbackKind, text: string): { value: boolean | number | string } | { error: string } {
  switch (kind) {
    case 'yes':
      return { value: true };
    case 'no':
      return { value: false };
    case 'number': {
      const t = text.trim();
      const n = Number(t);
      return t && Number.isFinite(n) ? { value: n } : { error: 'Enter a number, e.g. 4 or 0.75.' };
    }
    case 'text':
      return text.trim() ? { value: text } : { error: 'Enter the feedback text.' };
  }
}

/** MLflow refuses assessment names with a dot in them. */
export function feedbackNameError(name: string): string | null {
  const t = name.trim();
  if (!t) return 'Enter a name, e.g. correctness.';
  if (t.includes('.')) return 'A name may not contain “.”.';
  return null;
}
