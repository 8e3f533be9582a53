import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { Route, Routes } from 'react-router';
import { saveSession } from '../../api/session';
import { json, mockFetch, renderWithProviders } from '../../test/utils';
import DatasetPage from './DatasetPage';
import DatasetsTab from './DatasetsTab';

afterEach(() => vi.unstubAllGlobals());

const alice = { id: 2, username: 'alice', display_name: 'Alice', email: '', is_active: true, is_admin: false };

const dataset = (id: string, name: string, n: number | null) => ({
  dataset_id: id,
  name,
  tags: JSON.stringify({ 'mlflow.user': 'alice', team: 'qa' }),
  profile: JSON.stringify(n === null ? null : { num_records: n }),
  digest: 'f2cf3975',
  created_time: 1_796_294_503_077,
  last_update_time: 1_796_294_503_430,
  experiment_ids: ['3'],
});

const records = [
  { dataset_record_id: 'dr-0001aaaabbbb', dataset_id: 'd-1', inputs: { question: 'Why do customers churn?' }, expectations: { expected_facts: ['price', 'support'] }, outputs: {}, tags: { split: 'test' }, source: { source_type: 'TRACE', source_data: { trace_id: 'tr-0123456789abcdef' } }, source_id: 'tr-0123456789abcdef', source_type: 'TRACE', created_time: 1_796_294_503_430, last_update_time: 1_796_294_503_430 },
  { dataset_record_id: 'dr-0002ccccdddd', dataset_id: 'd-1', inputs: { question: 'How to cancel?' }, outputs: 'Go to Settings.', tags: {}, source: { source_type: 'HUMAN', source_data: { annotator: 'bob' } }, source_type: 'HUMAN', created_time: 1_796_294_503_430, last_update_time: 1_796_294_503_430 },
];

describe('Datasets tab', () => {
  it('lists one experiment’s datasets with their record count, creator and tags, and pages by token', async () => {
    const { calls } = mockFetch((url, init) => {
      if (url.pathname !== '/api/3.0/mlflow/datasets/search') return undefined;
      const body = JSON.parse(String(init.body)) as { page_token?: string };
      return body.page_token
        ? json({ datasets: [dataset('d-2', 'older-questions', null)] })
        : json({ datasets: [dataset('d-1', 'churn-questions', 2)], next_page_token: 'tok-2' });
    });
    renderWithProviders(<DatasetsTab experimentId="3" />);
    const table = await screen.findByRole('table', { name: 'Evaluation datasets' });
    const link = await within(table).findByRole('link', { name: 'churn-questions' });
    expect(link.getAttribute('href')).toBe('/datasets/d-1?experiment=3');
    const row = link.closest('tr')!;
    expect(within(row).getByText('2')).toBeTruthy();
    expect(within(row).getByText('alice')).toBeTruthy();
    expect(within(row).getByText('team')).toBeTruthy();
    expect(within(row).queryByText('mlflow.user')).toBeNull();
    expect(JSON.parse(String(calls[0].init.body))).toEqual({ experiment_ids: ['3'], order_by: ['created_time DESC'], max_results: 25 });

    fireEvent.click(screen.getByRole('button', { name: 'Next →' }));
    await within(table).findByRole('link', { name: 'older-questions' });
    expect(JSON.parse(String(calls.at(-1)!.init.body))).toMatchObject({ page_token: 'tok-2' });
    expect(within(within(table).getByRole('link', { name: 'older-questions' }).closest('tr')!).getAllByText('—').length).toBeGreaterThan(0);
  });
});

function renderPage(path = '/datasets/d-1?experiment=3') {
  saveSession({ token: 't', user: alice });
  return renderWithProviders(
    <Routes>
      <Route path="/datasets/:datasetId" element={<DatasetPage />} />
    </Routes>,
    path,
  );
}

describe('dataset page', () => {
  it('shows the dataset, its experiments (by name where readable) and its records with expandable values', async () => {
    mockFetch((url) => {
      switch (url.pathname) {
        case '/api/3.0/mlflow/datasets/d-1':
          return json({ dataset: { ...dataset('d-1', 'churn-questions', 2), experiment_ids: undefined } });
        case '/api/3.0/mlflow/datasets/d-1/experiment-ids':
          return json({ experiment_ids: ['3', '8'] });
        case '/api/3.0/mlflow/datasets/d-1/records':
          return json({ records: JSON.stringify(records) });
        case '/api/experiments/get':
          return url.searchParams.get('experiment_id') === '3'
            ? json({ experiment: { experiment_id: '3', name: 'qa-bot' } })
            : json({ error_code: 'PERMISSION_DENIED', message: 'you do not have read access to experiment:8' }, 403);
      }
      return undefined;
    });
    renderPage();
    await screen.findByRole('heading', { name: 'Dataset churn-questions' });
    expect(screen.getByText('Records 2')).toBeTruthy();
    expect(within(screen.getByRole('list', { name: 'Dataset tags' })).getByText('team')).toBeTruthy();
    const crumbs = screen.getByRole('navigation', { name: 'Breadcrumb' });
    await waitFor(() => expect(within(crumbs).getByRole('link', { name: 'qa-bot' }).getAttribute('href')).toBe('/experiments/3?tab=datasets'));

    const exps = await screen.findByRole('list', { name: 'Dataset experiments' });
    await within(exps).findByRole('link', { name: 'qa-bot' });
    await within(exps).findByText('(you may not read this experiment)');

    const table = await screen.findByRole('table', { name: 'Dataset records' });
    await within(table).findByText('question: Why do customers churn?');
    // Expectations open into a JSON tree.
    const expectations = within(table).getByText('expected_facts: ["price","support"]');
    fireEvent.click(expectations);
    const tree = within(table).getByRole('list', { name: 'Expectations of dr-0001aaaabbbb' });
    expect(tree.textContent).toContain('"support"');
    // Outputs: none recorded ({}), and a plain string.
    expect(within(table).getByText('Go to Settings.')).toBeTruthy();
    const first = within(table).getByText('dr-0001aaaa').closest('tr')!;
    expect(within(first).getAllByText('—').length).toBeGreaterThan(0);
    // A record taken from a trace links to it; a human one shows who.
    expect(within(first).getByRole('link', { name: 'tr-01234567' }).getAttribute('href')).toBe('/traces/tr-0123456789abcdef');
    expect(within(table).getByText('human')).toBeTruthy();
    expect(within(table).getByText('annotator: bob')).toBeTruthy();
    expect(screen.getByText('1–2 of 2')).toBeTruthy();
  });

  it('says in plain words when the reader may not see the dataset', async () => {
    mockFetch(() => json({ error_code: 'PERMISSION_DENIED', message: 'you do not have read access to this dataset' }, 403));
    renderPage('/datasets/d-1');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe("No access. You don't have read access to this dataset. Ask someone who manages it.");
    expect(screen.queryByRole('table', { name: 'Dataset records' })).toBeNull();
  });

  it('says when there is no such dataset', async () => {
    mockFetch(() => json({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: "Dataset 'd-1' not found" }, 404));
    renderPage('/datasets/d-1');
    expect((await screen.findByRole('alert')).textContent).toBe("Not found. Dataset 'd-1' not found");
  });
});
