import { describe, expect, it } from 'vitest';
import { barPosition, buildSpanTree, displayId, flattenTree, readSpan, readSpans, readStatus, spanMs, traceWindow, type Span } from './spans';

const MS = 1_000_000; // nanoseconds
const T0 = 1_764_748_800_000 * MS;

/** A span as the stock client writes it to traces.json. */
function artifactSpan(id: string, parent: string | null, name: string, startMs: number, endMs: number, extra: Record<string, unknown> = {}) {
  return {
    trace_id: 'AAAAAAAAAAAAAAAAAAAAAQ==',
    span_id: id,
    parent_span_id: parent,
    name,
    kind: 'SPAN_KIND_INTERNAL',
    start_time_unix_nano: T0 + startMs * MS,
    end_time_unix_nano: T0 + endMs * MS,
    events: [],
    status: { code: 'STATUS_CODE_OK', message: '' },
    attributes: { 'mlflow.traceRequestId': '"tr-1"', 'mlflow.spanType': '"CHAIN"', ...extra },
    links: [],
  };
}

const span = (id: string, parent: string | null, start: number, end: number | null = start + 1, name = id): Span => ({
  id,
  parentId: parent,
  name,
  start,
  end,
  status: 'OK',
  attributes: {},
  events: [],
});

describe('readSpan', () => {
  it.each([
    {
      what: 'traces.json (the artifact): attributes are JSON strings, times numbers',
      raw: artifactSpan('AAAAAAAAAAI=', 'AAAAAAAAAAE=', 'retrieve', 5, 25, {
        'mlflow.spanInputs': '{"query": "churn", "k": 3}',
        'mlflow.spanOutputs': '["doc-1", "doc-2"]',
        'mlflow.spanType': '"RETRIEVER"',
      }),
      want: { id: 'AAAAAAAAAAI=', parentId: 'AAAAAAAAAAE=', name: 'retrieve', type: 'RETRIEVER', status: 'OK', inputs: { query: 'churn', k: 3 }, outputs: ['doc-1', 'doc-2'], ms: 20 },
    },
    {
      what: 'traces/get (OpenTelemetry proto JSON): attribute lists, times as strings, an error status',
      raw: {
        trace_id: 'AAAAAAAAAAAAAAAAAAAAAQ==',
        span_id: 'AAAAAAAAAAM=',
        parent_span_id: '',
        name: 'llm',
        start_time_unix_nano: String(T0),
        end_time_unix_nano: String(T0 + 1500 * MS),
        status: { code: 'STATUS_CODE_ERROR', message: 'rate limited' },
        attributes: [
          { key: 'mlflow.spanInputs', value: { string_value: '{"prompt": "hi"}' } },
          { key: 'mlflow.spanType', value: { string_value: '"LLM"' } },
          { key: 'tokens', value: { int_value: '42' } },
          { key: 'stream', value: { bool_value: true } },
          { key: 'stops', value: { array_value: { values: [{ string_value: 'END' }] } } },
        ],
      },
      want: { id: 'AAAAAAAAAAM=', parentId: null, name: 'llm', type: 'LLM', status: 'ERROR', statusMessage: 'rate limited', inputs: { prompt: 'hi' }, outputs: undefined, ms: 1500, tokens: 42, stream: true, stops: ['END'] },
    },
    {
      what: 'an open span without an end, no type, an unparsable attribute kept as text',
      raw: { span_id: 'abc', name: 'open', start_time_unix_nano: T0, status: { code: 'STATUS_CODE_UNSET' }, attributes: { note: 'not json' } },
      want: { id: 'abc', parentId: null, name: 'open', type: undefined, status: 'UNSET', inputs: undefined, ms: null, note: 'not json' },
    },
  ])('$what', ({ raw, want }) => {
    const s = readSpan(raw)!;
    const { ms, tokens, stream, stops, note, statusMessage, ...fields } = want as typeof want & Record<string, unknown>;
    expect(s).toMatchObject(fields);
    // Nanoseconds since the epoch are past a double's exact integers: compare to a hundredth of a millisecond.
    if (ms === null) expect(spanMs(s)).toBeNull();
    else expect(spanMs(s)).toBeCloseTo(ms, 2);
    if (statusMessage) expect(s.statusMessage).toBe(statusMessage);
    if (tokens !== undefined) expect(s.attributes).toMatchObject({ tokens, stream, stops });
    if (note !== undefined) expect(s.attributes.note).toBe(note);
  });

  it.each([null, 'x', 42, {}, { name: 'no id' }])('skips what is not a span: %j', (raw) => {
    expect(readSpan(raw)).toBeNull();
  });

  it.each([
    [{ code: 'STATUS_CODE_OK' }, 'OK'],
    [{ code: 'OK' }, 'OK'],
    ['ERROR', 'ERROR'],
    [{ code: 'STATUS_CODE_UNSET' }, 'UNSET'],
    [undefined, 'UNSET'],
  ])('reads the status %j as %s', (raw, want) => {
    expect(readStatus(raw).status).toBe(want);
  });
});

describe('buildSpanTree', () => {
  const names = (spans: Span[]) => flattenTree(buildSpanTree(spans)).map((n) => `${'  '.repeat(n.depth)}${n.span.id}`);

  it.each([
    {
      what: 'nests children under their parent, each level in start order',
      spans: [span('c2', 'root', 30), span('root', null, 0, 100), span('c1', 'root', 10), span('g1', 'c1', 12)],
      want: ['root', '  c1', '    g1', '  c2'],
    },
    {
      what: 'a span whose parent is missing becomes a root beside the others',
      spans: [span('root', null, 0), span('lost', 'gone', 5), span('kid', 'root', 1)],
      want: ['root', '  kid', 'lost'],
    },
    {
      what: 'a span naming itself as parent is a root',
      spans: [span('self', 'self', 0)],
      want: ['self'],
    },
    {
      what: 'a cycle of parents is cut: every span shows once',
      spans: [span('a', 'b', 0), span('b', 'a', 1)],
      want: ['a', '  b'],
    },
    {
      what: 'a repeated id shows once',
      spans: [span('a', null, 0), span('a', null, 5)],
      want: ['a'],
    },
    { what: 'no spans', spans: [], want: [] },
  ])('$what', ({ spans, want }) => {
    expect(names(spans)).toEqual(want);
  });

  it('reads and nests what the stock client uploads', () => {
    const raw = [artifactSpan('AAAAAAAAAAE=', null, 'answer', 0, 100), artifactSpan('AAAAAAAAAAI=', 'AAAAAAAAAAE=', 'retrieve', 5, 25), artifactSpan('AAAAAAAAAAM=', 'AAAAAAAAAAE=', 'generate', 30, 95)];
    const rows = flattenTree(buildSpanTree(readSpans(raw)));
    expect(rows.map((r) => [r.span.name, r.depth])).toEqual([
      ['answer', 0],
      ['retrieve', 1],
      ['generate', 1],
    ]);
  });
});

describe('timeline', () => {
  const spans = [span('root', null, 1000, 2000), span('a', 'root', 1250, 1500), span('open', 'root', 1900, null), span('zero', 'root', 2000, 2000)];
  const w = traceWindow(spans)!;

  it('spans the earliest start to the latest end', () => {
    expect(w).toEqual({ start: 1000, end: 2000 });
    expect(traceWindow([])).toBeNull();
  });

  it.each([
    { id: 'root', want: { left: 0, width: 100 } },
    { id: 'a', want: { left: 25, width: 25 } },
    { id: 'open', want: { left: 90, width: 10 } },
    { id: 'zero', want: { left: 100, width: 0 } },
  ])('places $id at $want.left% for $want.width%', ({ id, want }) => {
    const p = barPosition(spans.find((s) => s.id === id)!, w);
    expect(p.left).toBeCloseTo(want.left);
    expect(p.width).toBeCloseTo(want.width);
  });

  it('gives a short span a visible sliver', () => {
    expect(barPosition(span('tiny', null, 1500, 1500), { start: 0, end: 1_000_000 }).width).toBe(0.5);
  });
});

describe('displayId', () => {
  it.each([
    ['AAAAAAAAAAE=', '0000000000000001'],
    ['3q2+7wAAAAA=', 'deadbeef00000000'],
    ['abc123', 'abc123'],
    ['0x1f', '0x1f'],
    ['tr-1', 'tr-1'],
  ])('%s → %s', (id, want) => {
    expect(displayId(id)).toBe(want);
  });
});
