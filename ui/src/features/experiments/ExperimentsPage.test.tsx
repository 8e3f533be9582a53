import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { saveSession } from '../../api/session';
import { json, mockFetch, myAccessServer, renderWithProviders, type Handler } from '../../test/utils';
import ExperimentsPage from './ExperimentsPage';

afterEach(() => {
  vi.unstubAllGlobals();
  saveSession(null);
});

const alice = { id: 2, username: 'alice', display_name: '', email: '', is_active: true, is_admin: false };

/** alice's own grants: create on project:team (and whatever `allowed` says cerberus answers). */
function aliceMay(allowed: Record<string, string[]>): Handler[] {
  saveSession({ token: 't', user: alice });
  return [
    myAccessServer(allowed),
    (url) =>
      url.pathname === '/api/users/alice/grants'
        ? json({ grants: [{ subject: 'group:ds', element: 'project:team', operation: 'create', effect: 'allow', inherited: false, granted_at: '' }] })
        : undefined,
  ];
}

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
    const { calls } = mockFetch(...aliceMay({ 'project:team': ['create'] }), (url) => (url.pathname === '/api/experiments/search' ? json({ experiments: [] }) : undefined));
    renderWithProviders(<ExperimentsPage />);
    expect(await screen.findByText('No experiments yet. Create one to start tracking runs.')).toBeTruthy();
    const opener = await screen.findByRole('button', { name: 'New experiment' });
    // One question to cerberus: the projects her grants name, and default.
    const asked = calls.filter((c) => c.url.pathname === '/api/authorize/batch').map((c) => JSON.parse(String(c.init.body)).elements);
    expect(asked).toEqual([['project:default', 'project:team']]);
    opener.focus();
    fireEvent.click(opener);
    const dialog = screen.getByRole('dialog', { name: 'New experiment' });
    expect(document.activeElement).toBe(screen.getByLabelText('Name'));
    expect((screen.getByRole('button', { name: 'Create' }) as HTMLButtonElement).disabled).toBe(true);
    // Only where she may create: team, not default.
    expect([...(screen.getByLabelText('Project') as HTMLSelectElement).options].map((o) => o.value)).toEqual(['team']);
    fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(opener);
  });

  it.each([
    { who: 'a reader', allowed: {} as Record<string, string[]>, want: { create: false, rename: false, remove: false } },
    { who: 'an editor', allowed: { 'experiment:7': ['edit'] }, want: { create: false, rename: true, remove: false } },
    { who: 'a manager who may create', allowed: { 'experiment:7': ['edit', 'manage'], 'project:default': ['create'] }, want: { create: true, rename: true, remove: true } },
  ])('$who is offered only what cerberus allows', async ({ allowed, want }) => {
    const { calls } = mockFetch(...aliceMay(allowed), (url) => (url.pathname === '/api/experiments/search' ? json({ experiments: [{ experiment_id: '7', name: 'churn' }] }) : undefined));
    renderWithProviders(<ExperimentsPage />);
    await screen.findByRole('link', { name: 'churn' });
    await waitFor(() => expect(calls.filter((c) => c.url.pathname === '/api/authorize/batch')).toHaveLength(1));
    await new Promise((r) => setTimeout(r, 50)); // the answer renders
    expect(screen.queryByRole('button', { name: 'Rename churn' }) !== null).toBe(want.rename);
    expect(screen.queryByRole('button', { name: 'Delete churn' }) !== null).toBe(want.remove);
    expect(screen.queryByRole('button', { name: 'New experiment' }) !== null).toBe(want.create);
  });
});
