import { afterEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import { mockFetch, renderWithProviders } from '../../test/utils';
import { ArtifactPreview } from './ArtifactPreview';
import userEvent from '@testing-library/user-event';
import { asLoggedTable, cellText, htmlSandbox, htmlSrcDoc, parseCsv, parseSimpleYaml, previewKind } from './preview';

afterEach(() => vi.unstubAllGlobals());

describe('artifact preview chooser', () => {
  it('chooses the preview from the file name and size', () => {
    expect(previewKind('plots/loss.png')).toBe('image');
    expect(previewKind('a/b/photo.JPEG')).toBe('image');
    expect(previewKind('metrics.json')).toBe('json');
    expect(previewKind('data/sample.csv')).toBe('csv');
    expect(previewKind('model/MLmodel')).toBe('mlmodel');
    expect(previewKind('notes.txt')).toBe('text');
    expect(previewKind('model/requirements.txt')).toBe('text');
    expect(previewKind('model/model.pkl')).toBe('none');
    expect(previewKind('huge.txt', 50 * 1024 * 1024)).toBe('none');
    expect(previewKind('reports/eval.html')).toBe('html');
    expect(previewKind('reports/EVAL.HTM')).toBe('html');
    expect(previewKind('page.xml')).toBe('text');
  });

  it('parses CSV with quotes', () => {
    expect(parseCsv('a,b\n1,"x, ""y"""\n')).toEqual([
      ['a', 'b'],
      ['1', 'x, "y"'],
    ]);
  });

  it('reads an MLmodel file', () => {
    const y = parseSimpleYaml('artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.sklearn\n  sklearn:\n    pickled_model: model.pkl\nrun_id: abc\n');
    expect(y.artifact_path).toBe('model');
    expect(Object.keys(y.flavors as object)).toEqual(['python_function', 'sklearn']);
    expect(y.run_id).toBe('abc');
  });

  it('shows a CSV as a table and MLmodel as fields, never raw', async () => {
    mockFetch((url) =>
      url.searchParams.get('path') === 'sample.csv' ? new Response('name,score\nalice,3\nbob,4\n') : new Response('artifact_path: model\nflavors:\n  sklearn:\n    x: 1\n'),
    );
    renderWithProviders(<ArtifactPreview runId="r1" path="sample.csv" size={30} />);
    const table = await screen.findByRole('table', { name: 'CSV preview' });
    expect(table.querySelectorAll('tbody tr').length).toBe(2);
    renderWithProviders(<ArtifactPreview runId="r1" path="model/MLmodel" size={30} />);
    await waitFor(() => expect(screen.getByText('Flavors')).toBeTruthy());
    expect(screen.getAllByText('sklearn').length).toBeGreaterThan(0);
    expect(screen.getByText('x')).toBeTruthy();
  });
});

describe('log_table and HTML artifacts', () => {
  it.each([
    ['split table', { columns: ['q', 'score'], data: [['a', 1], ['b', 2]] }, { columns: ['q', 'score'], rows: [['a', 1], ['b', 2]] }],
    ['with an index', { columns: ['x'], index: [0, 1], data: [[1], [2]] }, { columns: ['x'], rows: [[1], [2]] }],
    ['numeric column names', { columns: [0, 1], data: [[1, 2]] }, { columns: ['0', '1'], rows: [[1, 2]] }],
    ['no rows', { columns: ['x'], data: [] }, { columns: ['x'], rows: [] }],
    ['other JSON', { auc: 0.9, thresholds: [0.3] }, null],
    ['rows that are not lists', { columns: ['x'], data: [{ x: 1 }] }, null],
    ['a row of the wrong width', { columns: ['x', 'y'], data: [[1]] }, null],
    ['column names that are objects', { columns: [{}], data: [[1]] }, null],
    ['a list', [['a']], null],
    ['null', null, null],
  ] as const)('reads %s', (_, v, want) => {
    expect(asLoggedTable(v)).toEqual(want);
  });

  it.each([
    ['text', 'text'],
    [3.5, '3.5'],
    [null, ''],
    [{ type: 'image', filepath: 'a.png' }, '{"type":"image","filepath":"a.png"}'],
    [[1, 2], '[1,2]'],
  ] as const)('shows the cell %j as %s', (v, want) => {
    expect(cellText(v)).toBe(want);
  });

  it('never gives the frame the app\'s origin; scripts only on request, then unable to call out', () => {
    for (const scripts of [false, true]) {
      expect(htmlSandbox(scripts)).not.toContain('allow-same-origin');
      expect(htmlSandbox(scripts).includes('allow-scripts')).toBe(scripts);
    }
    expect(htmlSrcDoc('<p>x</p>', false)).toBe('<p>x</p>');
    expect(htmlSrcDoc('<p>x</p>', true)).toMatch(/^<meta http-equiv="Content-Security-Policy" content="connect-src 'none'; form-action 'none'"><p>x<\/p>$/);
  });

  it('shows a log_table JSON as a table, its JSON on request', async () => {
    mockFetch(() => new Response(JSON.stringify({ columns: ['question', 'score'], data: [['why churn?', 0.91], ['how to cancel?', { n: 1 }]] })));
    renderWithProviders(<ArtifactPreview runId="r1" path="eval_results_table.json" size={80} />);
    const table = await screen.findByRole('table', { name: 'Table preview' });
    expect([...table.querySelectorAll('th')].map((th) => th.textContent)).toEqual(['question', 'score']);
    expect([...table.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent))).toEqual([
      ['why churn?', '0.91'],
      ['how to cancel?', '{"n":1}'],
    ]);
    await userEvent.click(screen.getByRole('button', { name: 'Show JSON' }));
    expect(screen.queryByRole('table', { name: 'Table preview' })).toBeNull();
    expect(document.querySelector('.json-tree')?.textContent).toContain('how to cancel?');
  });

  it('keeps other JSON as a tree', async () => {
    mockFetch(() => new Response(JSON.stringify({ auc: 0.91 })));
    renderWithProviders(<ArtifactPreview runId="r1" path="metrics.json" size={20} />);
    await waitFor(() => expect(document.querySelector('.json-tree')?.textContent).toContain('auc'));
    expect(screen.queryByRole('table', { name: 'Table preview' })).toBeNull();
  });

  it('renders HTML in a sandboxed frame, not as source, scripts off until asked', async () => {
    const html = '<h1>Churn report</h1>';
    mockFetch(() => new Response(html));
    renderWithProviders(<ArtifactPreview runId="r1" path="report.html" size={20} />);
    const frame = (await screen.findByTitle('Artifact report.html')) as HTMLIFrameElement;
    expect(frame.tagName).toBe('IFRAME');
    expect(frame.getAttribute('sandbox')).toBe('');
    expect(frame.getAttribute('srcdoc')).toBe(html);
    expect(document.querySelector('[data-testid=artifact-preview] pre')).toBeNull();
    await userEvent.click(screen.getByRole('button', { name: 'Run its scripts' }));
    const again = screen.getByTitle('Artifact report.html');
    expect(again.getAttribute('sandbox')).toBe('allow-scripts');
    expect(again.getAttribute('srcdoc')).toContain("connect-src 'none'");
  });
});
