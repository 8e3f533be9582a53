import { afterEach, describe, expect, it, vi } from 'vitest';
import { json, mockFetch } from '../test/utils';
import { datasetFilter, datasets, readDataset, readRecords, readTags, recordCount } from './datasets';

afterEach(() => vi.unstubAllGlobals());

// As MLflow 3.18 answers (captured from the pinned server): tags, schema
// and profile are JSON strings; records one JSON string of a list.
const DATASET = {
  dataset_id: 'd-eef8db3eb9f14765982b8c527a78082c',
  name: 'churn-questions',
  tags: '{"mlflow.user": "alice", "team": "qa"}',
  schema: '{"inputs": {"question": "string"}, "outputs": "string", "expectations": {"expected_response": "string"}, "version": "1.0"}',
  profile: '{"num_records": 2}',
  digest: 'f2cf3975',
  created_time: 1796294503077,
  last_update_time: 1796294503430,
};
const RECORDS =
  '[{"dataset_record_id": "dr-18a0", "dataset_id": "d-eef8", "inputs": {"q": "x"}, "tags": {}, "created_time": 1796294503430, "last_update_time": 1796294503430, "outputs": "plain string out"},' +
  ' {"dataset_record_id": "dr-7559", "dataset_id": "d-eef8", "inputs": {"question": "why?"}, "expectations": {"expected_response": "because"}, "tags": {"split": "test"},' +
  ' "source": {"source_type": "TRACE", "source_data": {"trace_id": "tr-abc"}}, "source_id": "tr-abc", "source_type": "TRACE", "created_time": 1796294503430, "last_update_time": 1796294503431, "outputs": {}}]';

describe('decoding a dataset', () => {
  it('reads its JSON strings: tags, record count, schema; created_by from the mlflow.user tag', () => {
    expect(readDataset(DATASET)).toEqual({
      dataset_id: 'd-eef8db3eb9f14765982b8c527a78082c',
      name: 'churn-questions',
      tags: { 'mlflow.user': 'alice', team: 'qa' },
      created_time: 1796294503077,
      last_update_time: 1796294503430,
      created_by: 'alice',
      last_updated_by: undefined,
      digest: 'f2cf3975',
      experiment_ids: [],
      num_records: 2,
      schema: { inputs: { question: 'string' }, outputs: 'string', expectations: { expected_response: 'string' }, version: '1.0' },
    });
  });

  it('prefers MLflow’s created_by, reads int64 times written as strings, and keeps the experiments a search names', () => {
    const d = readDataset({ dataset_id: 'd-1', created_by: 'bob', tags: '{"mlflow.user": "alice"}', created_time: '1796294503077', experiment_ids: ['3', '7'] });
    expect(d).toMatchObject({ created_by: 'bob', created_time: 1796294503077, experiment_ids: ['3', '7'], name: '' });
    expect(d.num_records).toBeUndefined();
  });

  it.each<[string | undefined, number | undefined]>([
    ['{"num_records": 12}', 12],
    ['{"num_records": 0}', 0],
    ['null', undefined],
    ['{}', undefined],
    ['{"num_records": "many"}', undefined],
    ['not json', undefined],
    [undefined, undefined],
  ])('record count of profile %j is %j', (profile, want) => {
    expect(recordCount(profile)).toBe(want);
  });

  it.each<[unknown, Record<string, string>]>([
    ['{"a": "1", "n": 2, "o": {"x": true}}', { a: '1', n: '2', o: '{"x":true}' }],
    [{ a: 'b' }, { a: 'b' }],
    ['[1, 2]', {}],
    ['not json', {}],
    [undefined, {}],
  ])('tags %j read as %j', (raw, want) => {
    expect(readTags(raw)).toEqual(want);
  });
});

describe('decoding records', () => {
  it('parses the JSON string of a page of records, the way MLflow’s client does', () => {
    const [plain, traced] = readRecords(RECORDS);
    expect(plain).toMatchObject({ dataset_record_id: 'dr-18a0', inputs: { q: 'x' }, outputs: 'plain string out', tags: {}, created_time: 1796294503430 });
    expect(plain.expectations).toBeUndefined();
    expect(plain.source).toBeUndefined();
    expect(traced).toMatchObject({
      dataset_record_id: 'dr-7559',
      inputs: { question: 'why?' },
      expectations: { expected_response: 'because' },
      outputs: {},
      tags: { split: 'test' },
      source: { source_type: 'TRACE', source_data: { trace_id: 'tr-abc' } },
      source_id: 'tr-abc',
      source_type: 'TRACE',
      last_update_time: 1796294503431,
    });
  });

  it('takes the source type from the source when the record leaves it out, and numbers records without an id', () => {
    const [r] = readRecords('[{"inputs": {"a": 1}, "source": {"source_type": "HUMAN"}}]');
    expect(r).toMatchObject({ dataset_record_id: '#1', source_type: 'HUMAN', source: { source_type: 'HUMAN', source_data: {} } });
  });

  it.each([undefined, '', '[]'])('no records in %j', (raw) => {
    expect(readRecords(raw)).toEqual([]);
  });

  it.each(['{"records": []}', 'not json', '"[]"'])('%j is an unreadable answer', (raw) => {
    expect(() => readRecords(raw)).toThrow(expect.objectContaining({ kind: 'server', message: expect.stringMatching(/unreadable/) }));
  });
});

describe('dataset calls', () => {
  it('searches one experiment’s datasets by name with order and page token, and decodes them', async () => {
    const { calls } = mockFetch(() => json({ datasets: [DATASET], next_page_token: 'p3' }));
    const page = await datasets.search({ experimentIds: ['3'], search: " it's ", order_by: ['created_time DESC'], max_results: 25, page_token: 'p2' });
    expect(calls[0].url.pathname).toBe('/api/3.0/mlflow/datasets/search');
    expect(calls[0].init.method).toBe('POST');
    expect(JSON.parse(String(calls[0].init.body))).toEqual({
      experiment_ids: ['3'],
      filter_string: "name ILIKE '%it\\'s%'",
      order_by: ['created_time DESC'],
      max_results: 25,
      page_token: 'p2',
    });
    expect(page.next_page_token).toBe('p3');
    expect(page.datasets[0]).toMatchObject({ name: 'churn-questions', num_records: 2, tags: { team: 'qa' } });
  });

  it('sends no filter for a blank search, and an empty answer is an empty page', async () => {
    const { calls } = mockFetch(() => json({}));
    expect(await datasets.search({ experimentIds: ['3'], search: '  ' })).toEqual({ datasets: [], next_page_token: undefined });
    expect(JSON.parse(String(calls[0].init.body))).toEqual({ experiment_ids: ['3'] });
    expect(datasetFilter('')).toBeUndefined();
  });

  it('gets a dataset, its experiments and a page of records by id', async () => {
    const { calls } = mockFetch(
      (url) => (url.pathname === '/api/3.0/mlflow/datasets/d-1' ? json({ dataset: { ...DATASET, dataset_id: 'd-1' } }) : undefined),
      (url) => (url.pathname === '/api/3.0/mlflow/datasets/d-1/experiment-ids' ? json({ experiment_ids: ['3', '9'] }) : undefined),
      (url) => (url.pathname === '/api/3.0/mlflow/datasets/d-1/records' ? json({ records: RECORDS, next_page_token: 'n2' }) : undefined),
    );
    expect((await datasets.get('d-1')).num_records).toBe(2);
    expect(await datasets.experimentIds('d-1')).toEqual(['3', '9']);
    const page = await datasets.records('d-1', { max_results: 50, page_token: 'n1' });
    expect(page.records.map((r) => r.dataset_record_id)).toEqual(['dr-18a0', 'dr-7559']);
    expect(page.next_page_token).toBe('n2');
    expect(calls[2].init.method ?? 'GET').toBe('GET');
    expect(Object.fromEntries(calls[2].url.searchParams)).toEqual({ max_results: '50', page_token: 'n1' });
  });

  it('escapes the id in the path', async () => {
    const { calls } = mockFetch(() => json({ experiment_ids: [] }));
    await datasets.experimentIds('d/../x');
    expect(calls[0].url.pathname).toBe('/api/3.0/mlflow/datasets/d%2F..%2Fx/experiment-ids');
  });

  it.each([
    { status: 403, body: { error_code: 'PERMISSION_DENIED', message: 'you do not have read access to this dataset' }, kind: 'forbidden', message: "You don't have read access to this dataset. Ask someone who manages it." },
    { status: 404, body: { error_code: 'RESOURCE_DOES_NOT_EXIST', message: "Dataset 'd-x' not found" }, kind: 'notfound', message: "Dataset 'd-x' not found" },
  ])('passes a $status on in plain words', async ({ status, body, kind, message }) => {
    mockFetch(() => json(body, status));
    await expect(datasets.get('d-x')).rejects.toMatchObject({ kind, message });
    await expect(datasets.records('d-x')).rejects.toMatchObject({ kind });
  });
});
