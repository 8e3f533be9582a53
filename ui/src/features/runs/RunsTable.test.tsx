import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen } from '@testing-library/react';
import { json, mockFetch, renderWithProviders } from '../../test/utils';
import { RunsTable } from './RunsTable';

afterEach(() => vi.unstubAllGlobals());

describe('runs table filter', () => {
  it('sends the MLflow filter and shows MLflow’s 400 message plainly', async () => {
    const { calls } = mockFetch((url, init) => {
      if (url.pathname !== '/api/runs/search') return undefined;
      const body = JSON.parse(String(init.body));
      if (body.filter) return json({ error_code: 'INVALID_PARAMETER_VALUE', message: "Invalid comparator '>>>'" }, 400);
      return json({ runs: [{ info: { run_id: 'r1', run_name: 'first', experiment_id: '3', status: 'FINISHED' }, data: { metrics: [{ key: 'acc', value: 0.5, timestamp: 0 }] } }] });
    });
    renderWithProviders(<RunsTable experimentId="3" />);
    expect(await screen.findByText('1 runs')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Filter runs (MLflow search syntax)'), { target: { value: 'metrics.acc >>> 1' } });
    fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe("This filter isn't valid. Invalid comparator '>>>'");
    const last = JSON.parse(String(calls[calls.length - 1].init.body));
    expect(last).toMatchObject({ experiment_ids: ['3'], filter: 'metrics.acc >>> 1', order_by: ['attributes.start_time DESC'], run_view_type: 'ACTIVE_ONLY' });
  });
});
