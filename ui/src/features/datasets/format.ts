import { previewText } from '../traces/format';

/** "d-0123456789abcdef…" → "d-01234567", "dr-…" → "dr-…" likewise: enough to tell them apart in a list. */
export function shortId(id: string): string {
  const m = /^([a-z]+-)?(.*)$/.exec(id)!;
  return (m[1] ?? '') + m[2].slice(0, 8);
}

/** Nothing worth showing: absent, null, '' or {} (MLflow answers {} for a record logged without outputs). */
export function isBlank(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return true;
  return typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0;
}

/**
 * A decoded value on one line for a table cell: strings as they are,
 * objects as `key: value, …` (string values unquoted), the rest as JSON;
 * cut at `max` characters with an ellipsis. '' when blank.
 */
export function previewValue(v: unknown, max = 90): string {
  if (isBlank(v)) return '';
  if (typeof v === 'string') return previewText(v, max);
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const parts = Object.entries(v).map(([k, x]) => `${k}: ${typeof x === 'string' ? x : JSON.stringify(x)}`);
    return previewText(parts.join(', '), max);
  }
  return previewText(JSON.stringify(v) ?? String(v), max);
}

/** Whether a value needs more room than its preview: an object or array, or a string cut short or over several lines. */
export function isExpandable(v: unknown, max = 90): boolean {
  if (isBlank(v)) return false;
  if (typeof v === 'string') return v.length > max || /\n/.test(v);
  return typeof v === 'object';
}

/** A dataset's or record's own tags: MLflow's (mlflow.*) are its bookkeeping and left out. */
export function ownTags(tags: Record<string, string>): { key: string; value: string }[] {
  return Object.entries(tags)
    .filter(([k]) => !k.startsWith('mlflow.'))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => ({ key, value }));
}

/** "HUMAN" → "human", "UNSPECIFIED" → "" */
export function sourceLabel(type: string | undefined): string {
  if (!type || type === 'UNSPECIFIED' || type === 'SOURCE_TYPE_UNSPECIFIED') return '';
  return type.toLowerCase();
}

/** "1–50 of 230", "1–3" when the total is unknown, "" on an empty first page. */
export function rangeStatus(page: number, size: number, shown: number, total?: number): string {
  if (shown === 0 && page === 1) return '';
  const from = (page - 1) * size + 1;
  const to = (page - 1) * size + shown;
  return total !== undefined ? `${from}–${to} of ${total}` : `${from}–${to}`;
}
