import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router';
import { saveSession } from '../../api/session';
import type { Assessment, TraceInfo } from '../../api/types';
import { json, mockFetch, myAccessServer, renderWithProviders } from '../../test/utils';
import TracePage from './TracePage';
import TracesTab from './TracesTab';

afterEach(() => vi.unstubAllGlobals());

const alice = { id: 2, username: 'alice', display_name: 'Alice', email: '', is_active: true, is_admin: false };
const MS = 1_000_000;
const T0 = 1_764_748_800_000 * MS;

const spanJson = (id: string, parent: string | null, name: string, from: number, to: number, inputs: unknown, outputs: unknown, type = 'CHAIN') => ({
  trace_id: 'AAAAAAAAAAAAAAAAAAAAAQ==',
  span_id: id,
  parent_span_id: parent,
  name,
  start_time_unix_nano: T0 + from * MS,
  end_time_unix_nano: T0 + to * MS,
  status: { code: 'STATUS_CODE_OK', message: '' },
  events: [],
  attributes: { 'mlflow.spanType': JSON.stringify(type), 'mlflow.spanInputs': JSON.stringify(inputs), 'mlflow.spanOutputs': JSON.stringify(outputs), 'llm.model': '"small-1"' },
});

function traceInfo(assessments: Assessment[]): TraceInfo {
  return {
    trace_id: 'tr-0123456789abcdef',
    trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: '3' } },
    request_time: '2026-12-03T08:00:00Z',
    execution_duration: '1.200s',
    state: 'OK',
    request_preview: '{"question": "why churn?"}',
    response_preview: '"because"',
    tags: { 'mlflow.artifactLocation': 'mlflow-artifacts:/3/traces/tr-0123456789abcdef/artifacts', reviewed: 'yes' },
    assessments,
  };
}

/** ml_studio for one trace: `op` is what alice's grant allows; `refuse` makes MLflow's gateway turn the feedback down. */
function server({ op, refuse = false }: { op: 'read' | 'edit'; refuse?: boolean }) {
  const assessments: Assessment[] = [{ assessment_id: 'a-1', assessment_name: 'relevance', feedback: { value: 4 }, source: { source_type: 'LLM_JUDGE', source_id: 'judge' }, create_time: '2026-12-03T08:01:00Z' }];
  return mockFetch(myAccessServer({ 'experiment:3': op === 'edit' ? ['edit'] : [] }), (url, init) => {
    if (url.pathname === '/api/3.0/mlflow/traces/tr-0123456789abcdef') return json({ trace: { trace_info: traceInfo(assessments) } });
    if (url.pathname === '/api/2.0/mlflow-artifacts/artifacts/3/traces/tr-0123456789abcdef/artifacts/traces.json')
      return json({
        spans: [
          spanJson('AAAAAAAAAAI=', 'AAAAAAAAAAE=', 'retrieve_docs', 100, 400, { query: 'why churn?' }, ['doc-7'], 'RETRIEVER'),
          spanJson('AAAAAAAAAAE=', null, 'answer_question', 0, 1200, { question: 'why churn?' }, 'because'),
          spanJson('AAAAAAAAAAM=', 'AAAAAAAAAAE=', 'call_llm', 450, 1150, { prompt: 'Context: doc-7' }, 'because', 'LLM'),
        ],
      });
    if (url.pathname === '/api/experiments/get') return json({ experiment: { experiment_id: '3', name: 'qa-bot' } });
    if (url.pathname === '/api/elements/access')
      return json({ element: 'experiment:3', grants: [{ subject: 'user:alice', element: 'experiment:3', operation: op, effect: 'allow', inherited: false, granted_at: '' }] });
    if (url.pathname === '/api/3.0/mlflow/traces/tr-0123456789abcdef/assessments' && init.method === 'POST') {
      if (refuse) return json({ error_code: 'PERMISSION_DENIED', message: 'you do not have edit access to experiment:3' }, 403);
      const a = (JSON.parse(String(init.body)) as { assessment: Assessment }).assessment;
      assessments.push({ ...a, assessment_id: 'a-2', create_time: '2026-12-03T08:05:00Z' });
      return json({ assessment: a });
    }
    return undefined;
  });
}

function renderTrace() {
  saveSession({ token: 't', user: alice });
  return renderWithProviders(
    <Routes>
      <Route path="/traces/:traceId" element={<TracePage />} />
    </Routes>,
    '/traces/tr-0123456789abcdef',
  );
}

describe('trace page', () => {
  it('shows the span tree nested by parent, and the chosen span’s inputs and outputs', async () => {
    server({ op: 'edit' });
    renderTrace();
    const tree = await screen.findByRole('tree', { name: 'Span tree' });
    const items = within(tree).getAllByRole('treeitem');
    expect(items.map((li) => [li.textContent?.replace(/\d.*$/, '').replace(/[▾·]/g, ''), li.getAttribute('aria-level')])).toEqual([
      ['answer_questionCHAIN', '1'],
      ['retrieve_docsRETRIEVER', '2'],
      ['call_llmLLM', '2'],
    ]);
    // The root is chosen first; its bar fills the timeline.
    expect(screen.getByRole('heading', { name: 'Span: answer_question' })).toBeTruthy();
    expect(screen.getByLabelText('Span inputs').textContent).toContain('"question": "why churn?"');
    const bar = (i: number) => items[i].querySelector<HTMLElement>('.span-bar')!.style;
    expect([bar(0).left, bar(0).width]).toEqual(['0%', '100%']);
    expect(parseFloat(bar(1).left)).toBeCloseTo(8.333, 2);
    expect(parseFloat(bar(1).width)).toBeCloseTo(25, 2);

    fireEvent.click(within(tree).getByRole('button', { name: /^call_llm, 700 ms/ }));
    expect(screen.getByRole('heading', { name: 'Span: call_llm' })).toBeTruthy();
    expect(screen.getByLabelText('Span inputs').textContent).toContain('Context: doc-7');
    expect(screen.getByLabelText('Span outputs').textContent).toBe('because');
    expect(within(screen.getByRole('table', { name: 'Span attributes' })).getByText('small-1')).toBeTruthy();
    // Trace facts, its own tags (not MLflow's), the assessments so far.
    expect(screen.getByText('Latency 1.2 s')).toBeTruthy();
    expect(within(screen.getByRole('list', { name: 'Trace tags' })).getByText('reviewed')).toBeTruthy();
    expect(screen.queryByText('mlflow.artifactLocation')).toBeNull();
    expect(within(screen.getByRole('table', { name: 'Assessments' })).getByText('relevance')).toBeTruthy();
  });

  it('an editor adds feedback, sent as a human’s, and sees it listed', async () => {
    const { calls } = server({ op: 'edit' });
    const user = userEvent.setup();
    renderTrace();
    const form = await screen.findByRole('form', { name: 'Add feedback' });
    await user.type(within(form).getByLabelText('Feedback name'), 'correctness');
    await user.selectOptions(within(form).getByLabelText('Value'), 'no');
    await user.type(within(form).getByLabelText('Rationale'), 'cites the wrong doc');
    await user.click(within(form).getByRole('button', { name: 'Add feedback' }));
    const table = screen.getByRole('table', { name: 'Assessments' });
    await within(table).findByText('correctness');
    expect(within(table).getByText('cites the wrong doc')).toBeTruthy();
    const post = calls.find((c) => c.init.method === 'POST' && c.url.pathname.endsWith('/assessments'));
    expect(JSON.parse(String(post?.init.body))).toEqual({
      assessment: {
        assessment_name: 'correctness',
        trace_id: 'tr-0123456789abcdef',
        source: { source_type: 'HUMAN', source_id: 'alice' },
        feedback: { value: false },
        rationale: 'cites the wrong doc',
      },
    });
    expect((within(form).getByLabelText('Feedback name') as HTMLInputElement).value).toBe('');
  });

  it.each([
    { kind: 'number', text: 'lots', error: 'Enter a number, e.g. 4 or 0.75.' },
    { kind: 'yes', name: 'mlflow.quality', error: 'A name may not contain “.”.' },
  ])('checks the $kind feedback before sending it', async ({ kind, text, name, error }) => {
    const { calls } = server({ op: 'edit' });
    const user = userEvent.setup();
    renderTrace();
    const form = await screen.findByRole('form', { name: 'Add feedback' });
    await user.type(within(form).getByLabelText('Feedback name'), name ?? 'score');
    await user.selectOptions(within(form).getByLabelText('Value'), kind);
    if (text) await user.type(within(form).getByLabelText('Number'), text);
    await user.click(within(form).getByRole('button', { name: 'Add feedback' }));
    expect((await screen.findByRole('alert')).textContent).toContain(error);
    expect(calls.some((c) => c.init.method === 'POST' && c.url.pathname.endsWith('/assessments'))).toBe(false);
  });

  it('a reader sees the assessments but no feedback form', async () => {
    server({ op: 'read' });
    renderTrace();
    await screen.findByText('Read only');
    expect(within(screen.getByRole('table', { name: 'Assessments' })).getByText('relevance')).toBeTruthy();
    expect(screen.queryByRole('form', { name: 'Add feedback' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Add tag' })).toBeNull();
  });

  it('shows the server’s refusal of feedback in plain words', async () => {
    server({ op: 'edit', refuse: true });
    const user = userEvent.setup();
    renderTrace();
    const form = await screen.findByRole('form', { name: 'Add feedback' });
    await user.type(within(form).getByLabelText('Feedback name'), 'correctness');
    await user.click(within(form).getByRole('button', { name: 'Add feedback' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe("You don't have edit access to experiment “3”. Ask someone who manages it."));
    expect(within(screen.getByRole('table', { name: 'Assessments' })).queryByText('correctness')).toBeNull();
  });
});

describe('traces tab', () => {
  it('lists an experiment’s traces a page at a time, and says when there are none', async () => {
    const { calls } = mockFetch((url, init) => {
      if (url.pathname !== '/api/3.0/mlflow/traces/search') return undefined;
      const body = JSON.parse(String(init.body)) as { page_token?: string; filter?: string };
      if (body.filter) return json({});
      const page = body.page_token ? 2 : 1;
      const t = { ...traceInfo([{ assessment_name: 'correctness', feedback: { value: true } }]), trace_id: `tr-page${page}abcdef`, request_preview: `{"question": "q${page}"}` };
      return json({ traces: [t], next_page_token: page === 1 ? 'tok-2' : undefined });
    });
    renderWithProviders(<TracesTab experimentId="3" />);
    const link = await screen.findByRole('link', { name: 'Trace tr-page1abcdef' });
    expect(link.getAttribute('href')).toBe('/traces/tr-page1abcdef');
    const row = link.closest('tr')!;
    expect(within(row).getByText('{"question": "q1"}')).toBeTruthy();
    expect(within(row).getByText('1.2 s')).toBeTruthy();
    expect(within(row).getByText('OK')).toBeTruthy();
    expect(within(row).getByText('correctness')).toBeTruthy();
    expect(within(row).getByText('reviewed')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Next →' }));
    await screen.findByRole('link', { name: 'Trace tr-page2abcdef' });
    expect(JSON.parse(String(calls[calls.length - 1].init.body))).toMatchObject({
      locations: [{ type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: '3' } }],
      order_by: ['timestamp_ms DESC'],
      max_results: 25,
      page_token: 'tok-2',
    });
    fireEvent.change(screen.getByLabelText('Filter traces (MLflow search syntax)'), { target: { value: "tags.reviewed = 'no'" } });
    fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    expect(await screen.findByText('No traces match this filter.')).toBeTruthy();
  });
});
