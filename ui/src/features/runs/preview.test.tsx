import { afterEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import { mockFetch, renderWithProviders } from '../../test/utils';
import { ArtifactPreview } from './ArtifactPreview';
import { parseCsv, parseSimpleYaml, previewKind } from './preview';

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
