import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { json, mockFetch, renderWithProviders } from '../../test/utils';
import AccountPage, { notebookSnippet } from './AccountPage';

afterEach(() => vi.unstubAllGlobals());

describe('API tokens', () => {
  it('shows a new secret once, copies it, and forgets it when dismissed', async () => {
    const listed: unknown[] = [];
    mockFetch((url, init) => {
      if (url.pathname === '/api/tokens' && init.method === 'POST') {
        const t = { id: 9, name: 'nb', created_at: '2026-01-01T00:00:00Z', expires_at: '2099-01-01T00:00:00Z', last_used_at: null, revoked: false };
        listed.push(t);
        return json({ ...t, token: 'mlt_supersecret' }, 201);
      }
      if (url.pathname === '/api/tokens') return json({ items: listed, total: listed.length, limit: 200, offset: 0 });
      return undefined;
    });
    const writeText = vi.fn(async () => {});
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    renderWithProviders(<AccountPage />);
    fireEvent.change(screen.getByLabelText('Token name'), { target: { value: 'nb' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create token' }));
    expect((await screen.findByTestId('token-secret')).textContent).toBe('mlt_supersecret');
    expect(screen.getByTestId('snippet').textContent).toContain('MLFLOW_TRACKING_TOKEN"] = "mlt_supersecret"');
    fireEvent.click(screen.getByRole('button', { name: 'Copy' }));
    await waitFor(() => expect(writeText).toHaveBeenCalledWith('mlt_supersecret'));
    fireEvent.click(screen.getByRole('button', { name: 'Done' }));
    expect(screen.queryByTestId('token-secret')).toBeNull();
    await waitFor(() => expect(screen.getByRole('button', { name: 'Revoke token nb' })).toBeTruthy());
    expect(document.body.textContent).not.toContain('mlt_supersecret');
  });

  it('builds a notebook snippet for the tracking server', () => {
    const s = notebookSnippet('http://studio.example:5001', 'mlt_x');
    expect(s).toContain('MLFLOW_TRACKING_URI"] = "http://studio.example:5001"');
    expect(s).toContain('MLFLOW_TRACKING_TOKEN"] = "mlt_x"');
  });
});
