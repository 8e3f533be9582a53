// Spans as MLflow stores them, read into one shape and nested into a tree.
//
// Two shapes arrive: a trace's artifact `traces.json` (what the stock client
// uploads: `attributes` an object whose values are JSON-encoded strings,
// times in nanoseconds as numbers, `status.code` "STATUS_CODE_OK"), and
// `traces/get` for spans kept in MLflow's database (OpenTelemetry's proto as
// JSON: `attributes` a list of {key, value: {string_value | int_value | …}}).
// Ids are compared as they come (base64 or hex): only their equality matters.

export type SpanStatus = 'OK' | 'ERROR' | 'UNSET';

export interface SpanEvent {
  name: string;
  /** Nanoseconds since the epoch. */
  time?: number;
  attributes: Record<string, unknown>;
}

export interface Span {
  id: string;
  parentId: string | null;
  name: string;
  /** MLflow's span type (mlflow.spanType: LLM, CHAIN, TOOL, RETRIEVER…), if any. */
  type?: string;
  /** Nanoseconds since the epoch. */
  start: number;
  /** Nanoseconds since the epoch; null while the span is open. */
  end: number | null;
  status: SpanStatus;
  statusMessage?: string;
  inputs?: unknown;
  outputs?: unknown;
  /** Every attribute, values decoded from JSON where they are JSON. */
  attributes: Record<string, unknown>;
  events: SpanEvent[];
}

export interface SpanNode {
  span: Span;
  depth: number;
  children: SpanNode[];
}

export const INPUTS_ATTR = 'mlflow.spanInputs';
export const OUTPUTS_ATTR = 'mlflow.spanOutputs';
export const TYPE_ATTR = 'mlflow.spanType';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A JSON-encoded attribute value decoded; anything else as it is. */
export function decodeValue(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/** An OpenTelemetry AnyValue ({string_value: …}, {int_value: …}, arrays, key-value lists) as a plain value. */
function otelValue(v: unknown): unknown {
  if (!isObj(v)) return v;
  for (const k of ['string_value', 'stringValue']) if (k in v) return decodeValue(v[k]);
  for (const k of ['int_value', 'intValue', 'double_value', 'doubleValue']) if (k in v) return Number(v[k]);
  for (const k of ['bool_value', 'boolValue']) if (k in v) return v[k];
  const arr = v.array_value ?? v.arrayValue;
  if (isObj(arr)) return (Array.isArray(arr.values) ? arr.values : []).map(otelValue);
  const kv = v.kvlist_value ?? v.kvlistValue;
  if (isObj(kv)) return readAttributes(kv.values);
  return v;
}

function readAttributes(a: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (Array.isArray(a)) {
    for (const kv of a) if (isObj(kv) && typeof kv.key === 'string') out[kv.key] = otelValue(kv.value);
  } else if (isObj(a)) {
    for (const [k, v] of Object.entries(a)) out[k] = decodeValue(v);
  }
  return out;
}

function nanos(v: unknown): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) && n > 0 ? n : null;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v);
}

export function readStatus(s: unknown): { status: SpanStatus; message?: string } {
  const code = isObj(s) ? s.code : s;
  const message = isObj(s) && typeof s.message === 'string' && s.message ? s.message : undefined;
  const c = str(code).toUpperCase().replace(/^STATUS_CODE_/, '');
  return { status: c === 'OK' ? 'OK' : c === 'ERROR' ? 'ERROR' : 'UNSET', message };
}

/** One span in either stored shape; null for what is not a span. */
export function readSpan(raw: unknown): Span | null {
  if (!isObj(raw)) return null;
  const ctx: Obj = isObj(raw.context) ? raw.context : {};
  const id = str(raw.span_id ?? raw.spanId ?? ctx.span_id);
  if (!id) return null;
  const parent = str(raw.parent_span_id ?? raw.parentSpanId ?? raw.parent_id);
  const start = nanos(raw.start_time_unix_nano ?? raw.startTimeUnixNano ?? raw.start_time);
  const attributes = readAttributes(raw.attributes);
  const { status, message } = readStatus(raw.status ?? raw.status_code);
  const type = attributes[TYPE_ATTR];
  return {
    id,
    parentId: parent || null,
    name: str(raw.name) || '(unnamed)',
    type: typeof type === 'string' && type && type !== 'UNKNOWN' ? type : undefined,
    start: start ?? 0,
    end: nanos(raw.end_time_unix_nano ?? raw.endTimeUnixNano ?? raw.end_time),
    status,
    statusMessage: message ?? (typeof raw.status_message === 'string' && raw.status_message ? raw.status_message : undefined),
    inputs: attributes[INPUTS_ATTR],
    outputs: attributes[OUTPUTS_ATTR],
    attributes,
    events: (Array.isArray(raw.events) ? raw.events : []).filter(isObj).map((e) => ({
      name: str(e.name),
      time: nanos(e.time_unix_nano ?? e.timeUnixNano ?? e.timestamp) ?? undefined,
      attributes: readAttributes(e.attributes),
    })),
  };
}

export function readSpans(raw: readonly unknown[]): Span[] {
  return raw.map(readSpan).filter((s): s is Span => s !== null);
}

/**
 * The spans nested by parent: roots first, children in start order. A span
 * whose parent is missing (not exported, or another trace's) becomes a
 * root; a cycle of parents is cut where it closes.
 */
export function buildSpanTree(spans: readonly Span[]): SpanNode[] {
  const byId = new Map<string, Span>();
  for (const s of spans) if (!byId.has(s.id)) byId.set(s.id, s);
  const kids = new Map<string | null, Span[]>();
  for (const s of byId.values()) {
    const p = s.parentId && s.parentId !== s.id && byId.has(s.parentId) ? s.parentId : null;
    const list = kids.get(p) ?? [];
    list.push(s);
    kids.set(p, list);
  }
  const order = (list: Span[]) => [...list].sort((a, b) => a.start - b.start || a.name.localeCompare(b.name));
  const seen = new Set<string>();
  const grow = (s: Span, depth: number): SpanNode => {
    seen.add(s.id);
    const children = order(kids.get(s.id) ?? [])
      .filter((c) => !seen.has(c.id))
      .map((c) => grow(c, depth + 1));
    return { span: s, depth, children };
  };
  const roots = order(kids.get(null) ?? []).map((s) => grow(s, 0));
  // Spans only reachable through a cycle: each the root of what is left.
  for (const s of order([...byId.values()])) if (!seen.has(s.id)) roots.push(grow(s, 0));
  return roots;
}

/** The tree in display order (depth first), each node once. */
export function flattenTree(roots: readonly SpanNode[]): SpanNode[] {
  const out: SpanNode[] = [];
  const walk = (n: SpanNode) => {
    out.push(n);
    n.children.forEach(walk);
  };
  roots.forEach(walk);
  return out;
}

/** The earliest start and latest end of the spans (nanoseconds); an open span ends at the latest time known. */
export function traceWindow(spans: readonly Span[]): { start: number; end: number } | null {
  const started = spans.filter((s) => s.start > 0);
  if (started.length === 0) return null;
  const start = Math.min(...started.map((s) => s.start));
  const end = Math.max(...started.map((s) => s.end ?? s.start));
  return { start, end: Math.max(end, start) };
}

/** Where a span's bar sits in the trace's window, in percent of its width (a zero-length span gets a sliver). */
export function barPosition(span: Span, window: { start: number; end: number }): { left: number; width: number } {
  const total = window.end - window.start;
  if (total <= 0 || span.start <= 0) return { left: 0, width: 100 };
  const clamp = (v: number) => Math.min(100, Math.max(0, v));
  const left = clamp(((span.start - window.start) / total) * 100);
  const end = span.end ?? window.end;
  const width = Math.min(100 - left, Math.max(0.5, ((end - span.start) / total) * 100));
  return { left, width };
}

/** A span's duration in milliseconds, or null while it is open. */
export function spanMs(s: Span): number | null {
  return s.end === null || s.start <= 0 ? null : Math.max(0, (s.end - s.start) / 1e6);
}

/** Base64 span and trace ids (as in traces.json) shown as the hex the OpenTelemetry world prints; other ids as they are. */
export function displayId(id: string): string {
  if (/^[0-9a-f]+$/i.test(id) || !/^[A-Za-z0-9+/]+=*$/.test(id) || id.length % 4 !== 0) return id;
  try {
    const bin = atob(id);
    if (bin.length !== 8 && bin.length !== 16) return id;
    return Array.from(bin, (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('');
  } catch {
    return id;
  }
}
