import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { json, mockFetch, renderWithProviders } from '../../test/utils';
import ExperimentsPage from './ExperimentsPage';

afterEach(() => vi.unstubAllGlobals());

describe('experiments list', () => {
  it('pages by token, and a new search starts again on page 1', async () => {
    const { calls } = mockFetch((url, init) => {
      if (url.pathname !== '/api/experiments/search') return undefined;
      const b = JSON.parse(String(init.body)) as { filter?: string; page_token?: string };
      const page = b.page_token ? Number(b.page_token) : 1;
      const tag = b.filter ? 'hit' : 'exp';
      return json({ experiments: [{ experiment_id: `${tag}${page}`, name: `${tag}-${page}` }], next_page_token: page < 2 ? String(page + 1) : undefined });
    });
    renderWithProviders(<ExperimentsPage />);
    await screen.findByRole('link', { name: 'exp-1' });
    expect(screen.getByText('Page 1')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Next →' }));
    await screen.findByRole('link', { name: 'exp-2' });
    expect(screen.getByText('Page 2')).toBeTruthy();
    await waitFor(() => expect((screen.getByRole('button', { name: 'Next →' }) as HTMLButtonElement).disabled).toBe(true));
    expect(JSON.parse(String(calls[calls.length - 1].init.body))).toMatchObject({ page_token: '2', max_results: 25, view_type: 'ACTIVE_ONLY' });

    fireEvent.change(screen.getByLabelText('Search experiments by name'), { target: { value: 'churn' } });
    await screen.findByRole('link', { name: 'hit-1' }, { timeout: 2000 });
    expect(screen.getByText('Page 1')).toBeTruthy();
    const last = JSON.parse(String(calls[calls.length - 1].init.body));
    expect(last.filter).toBe("name LIKE '%churn%'");
    expect(last.page_token).toBeUndefined();
  });

  it('opens the new-experiment dialog with focus inside and returns focus on Escape', async () => {
    mockFetch((url) => (url.pathname === '/api/experiments/search' ? json({ experiments: [] }) : undefined));
    renderWithProviders(<ExperimentsPage />);
    expect(await screen.findByText('No experiments yet. Create one to start tracking runs.')).toBeTruthy();
    const opener = screen.getByRole('button', { name: 'New experiment' });
    opener.focus();
    fireEvent.click(opener);
    const dialog = screen.getByRole('dialog', { name: 'New experiment' });
    expect(document.activeElement).toBe(screen.getByLabelText('Name'));
    expect((screen.getByRole('button', { name: 'Create' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(opener);
  });
});
