import { afterEach, describe, expect, it, vi } from 'vitest';
import { json, mockFetch } from '../test/utils';
import { artifactProxyPath, spansSource, traces, traceSpans } from './traces';
import type { TraceInfo } from './types';

afterEach(() => vi.unstubAllGlobals());

const info = (tags: Record<string, string>): TraceInfo => ({ trace_id: 'tr-1', tags });

describe('where spans are read', () => {
  it.each<[string | undefined, string | null]>([
    ['mlflow-artifacts:/3/traces/tr-1/artifacts', '3/traces/tr-1/artifacts'],
    ['mlflow-artifacts:/3/traces/tr-1/artifacts/', '3/traces/tr-1/artifacts'],
    ['mlflow-artifacts://mlflow.internal:5050/3/traces/tr-1/artifacts', '3/traces/tr-1/artifacts'],
    ['mlflow-artifacts:/3/../4/traces/tr-1/artifacts', null],
    ['mlflow-artifacts:/', null],
    ['s3://bucket/3/traces/tr-1/artifacts', null],
    ['file:///data/3/traces/tr-1/artifacts', null],
    [undefined, null],
  ])('artifactProxyPath(%j) = %j', (uri, want) => {
    expect(artifactProxyPath(uri)).toBe(want);
  });

  it.each<{ what: string; tags: Record<string, string>; want: ReturnType<typeof spansSource> }>([
    { what: 'spans in MLflow’s database', tags: { 'mlflow.trace.spansLocation': 'TRACKING_STORE', 'mlflow.artifactLocation': 'mlflow-artifacts:/3/traces/tr-1/artifacts' }, want: { kind: 'store' } },
    { what: 'spans in the artifacts', tags: { 'mlflow.artifactLocation': 'mlflow-artifacts:/3/traces/tr-1/artifacts' }, want: { kind: 'artifact', path: '3/traces/tr-1/artifacts' } },
    { what: 'spans in artifacts elsewhere', tags: { 'mlflow.artifactLocation': 's3://b/3/traces/tr-1/artifacts' }, want: { kind: 'elsewhere', location: 's3://b/3/traces/tr-1/artifacts' } },
    { what: 'no location at all', tags: {}, want: { kind: 'store' } },
  ])('$what', ({ tags, want }) => {
    expect(spansSource(info(tags))).toEqual(want);
  });
});

describe('traceSpans', () => {
  const located = info({ 'mlflow.artifactLocation': 'mlflow-artifacts:/3/traces/tr-1/artifacts' });

  it('downloads traces.json through the artifact proxy', async () => {
    const { calls } = mockFetch((url) => (url.pathname === '/api/2.0/mlflow-artifacts/artifacts/3/traces/tr-1/artifacts/traces.json' ? json({ spans: [{ span_id: 'a' }] }) : undefined));
    expect(await traceSpans(located)).toEqual([{ span_id: 'a' }]);
    expect(calls).toHaveLength(1);
  });

  it('falls back to MLflow’s database when the file is missing, and to nothing when neither has spans', async () => {
    const { calls } = mockFetch((url) =>
      url.pathname === '/api/3.0/mlflow/traces/get' && url.searchParams.get('trace_id') === 'tr-1' ? json({ trace: { trace_info: {}, spans: [{ span_id: 'b' }] } }) : undefined,
    );
    expect(await traceSpans(located)).toEqual([{ span_id: 'b' }]);
    expect(calls.map((c) => c.url.pathname)).toEqual(['/api/2.0/mlflow-artifacts/artifacts/3/traces/tr-1/artifacts/traces.json', '/api/3.0/mlflow/traces/get']);
    mockFetch();
    expect(await traceSpans(located)).toEqual([]);
  });

  it('passes a refusal on', async () => {
    mockFetch(() => json({ error_code: 'PERMISSION_DENIED', message: 'you do not have read access to experiment:3' }, 403));
    await expect(traceSpans(located)).rejects.toMatchObject({ kind: 'forbidden' });
  });

  it('says where spans are that ML Studio cannot read', async () => {
    mockFetch();
    await expect(traceSpans(info({ 'mlflow.artifactLocation': 's3://b/x' }))).rejects.toThrow(/s3:\/\/b\/x/);
  });
});

describe('trace calls', () => {
  it('searches one experiment by location, with the page token', async () => {
    const { calls } = mockFetch(() => json({ traces: [] }));
    await traces.search({ experimentId: '3', order_by: ['timestamp_ms DESC'], max_results: 25, page_token: 'p2' });
    expect(calls[0].url.pathname).toBe('/api/3.0/mlflow/traces/search');
    expect(calls[0].init.method).toBe('POST');
    expect(JSON.parse(String(calls[0].init.body))).toEqual({
      locations: [{ type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: '3' } }],
      order_by: ['timestamp_ms DESC'],
      max_results: 25,
      page_token: 'p2',
    });
  });

  it('logs human feedback with its source', async () => {
    const { calls } = mockFetch(() => json({ assessment: {} }));
    await traces.logFeedback('tr-1', { name: 'correct', value: false, rationale: 'wrong doc', sourceId: 'alice' });
    expect(calls[0].url.pathname).toBe('/api/3.0/mlflow/traces/tr-1/assessments');
    expect(JSON.parse(String(calls[0].init.body))).toEqual({
      assessment: { assessment_name: 'correct', trace_id: 'tr-1', source: { source_type: 'HUMAN', source_id: 'alice' }, feedback: { value: false }, rationale: 'wrong doc' },
    });
  });

  it.each([
    { what: 'sets a tag', call: () => traces.setTag('tr-1', 'k', 'v'), method: 'PATCH', body: { key: 'k', value: 'v' } },
    { what: 'deletes a tag', call: () => traces.deleteTag('tr-1', 'k'), method: 'DELETE', body: { key: 'k' } },
  ])('$what in the body, never the query', async ({ call, method, body }) => {
    const { calls } = mockFetch(() => json({}));
    await call();
    expect(calls[0].url.pathname + calls[0].url.search).toBe('/api/3.0/mlflow/traces/tr-1/tags');
    expect(calls[0].init.method).toBe(method);
    expect(JSON.parse(String(calls[0].init.body))).toEqual(body);
  });
});
