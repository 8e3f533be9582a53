import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { saveSession } from '../../api/session';
import type { User } from '../../api/types';
import { json, mockFetch, renderWithProviders } from '../../test/utils';
import { changedProfile, Users } from './Users';

const u = (id: number, username: string, is_admin = false, is_active = true): User => ({ id, username, display_name: '', email: '', is_active, is_admin, created_at: '2026-01-01T00:00:00Z' });

beforeEach(() => saveSession({ token: 't', user: u(1, 'root', true) }));
afterEach(() => {
  vi.unstubAllGlobals();
  saveSession(null);
});

function serve(list: User[]) {
  const patches: { username: string; body: unknown }[] = [];
  const calls = mockFetch((url, init) => {
    if (url.pathname === '/api/users') return json({ items: list, total: list.length, limit: 200, offset: 0 });
    const m = /^\/api\/users\/([^/]+)$/.exec(url.pathname);
    if (m && init.method === 'PATCH') {
      patches.push({ username: decodeURIComponent(m[1]), body: JSON.parse(String(init.body)) });
      return json(list.find((x) => x.username === m[1]));
    }
    if (url.pathname === '/api/users/bob/grants')
      return json({ grants: [{ subject: 'group:ds', element: 'experiment:7', operation: 'read', effect: 'allow', inherited: false, granted_at: '2026-01-02T00:00:00Z' }] });
    return undefined;
  });
  return { patches, calls };
}

describe('admin users', () => {
  it('offers no Disable for oneself nor for the last active admin, and no Reset password for oneself', async () => {
    serve([u(1, 'root', true), u(2, 'bob'), u(3, 'old', true, false)]);
    renderWithProviders(<Users selected={null} onSelect={() => {}} />);
    await screen.findByRole('button', { name: 'Disable bob' });
    expect(screen.queryByRole('button', { name: 'Disable root' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Reset password of root' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Enable old' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Reset password of bob' })).toBeTruthy();
    // In the edit dialog the last admin's role is a statement, not a checkbox.
    fireEvent.click(screen.getByRole('button', { name: 'Edit root' }));
    const dlg = screen.getByRole('dialog');
    expect(within(dlg).queryByLabelText('Administrator')).toBeNull();
    expect(within(dlg).getByTestId('admin-kept').textContent).toMatch(/your own account/);
  });

  it('another active admin may be disabled', async () => {
    serve([u(1, 'root', true), u(4, 'ada', true)]);
    renderWithProviders(<Users selected={null} onSelect={() => {}} />);
    await screen.findByRole('button', { name: 'Disable ada' });
    expect(screen.queryByRole('button', { name: 'Disable root' })).toBeNull(); // still oneself
  });

  it('edits send only what changed', async () => {
    const { patches } = serve([u(1, 'root', true), u(2, 'bob')]);
    renderWithProviders(<Users selected={null} onSelect={() => {}} />);
    fireEvent.click(await screen.findByRole('button', { name: 'Edit bob' }));
    const dlg = screen.getByRole('dialog');
    expect((within(dlg).getByRole('button', { name: 'Save' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(within(dlg).getByLabelText('Display name'), { target: { value: 'Bob Chen' } });
    fireEvent.click(within(dlg).getByLabelText('Administrator'));
    fireEvent.click(within(dlg).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(patches).toEqual([{ username: 'bob', body: { display_name: 'Bob Chen', is_admin: true } }]));
  });

  it('a password reset needs the same new password twice and says what it revokes', async () => {
    const { patches } = serve([u(1, 'root', true), u(2, 'bob')]);
    renderWithProviders(<Users selected={null} onSelect={() => {}} />);
    fireEvent.click(await screen.findByRole('button', { name: 'Reset password of bob' }));
    const dlg = screen.getByRole('dialog');
    expect(dlg.textContent).toMatch(/sessions and API tokens stop working/);
    fireEvent.change(within(dlg).getByLabelText(/^New password/), { target: { value: 'a-new-password-1' } });
    fireEvent.change(within(dlg).getByLabelText(/^Repeat the new password/), { target: { value: 'a-new-password-2' } });
    const submit = within(dlg).getByRole('button', { name: 'Reset password' }) as HTMLButtonElement;
    expect(submit.disabled).toBe(true);
    expect(dlg.textContent).toContain('The two passwords differ.');
    fireEvent.change(within(dlg).getByLabelText(/^Repeat the new password/), { target: { value: 'a-new-password-1' } });
    fireEvent.click(submit);
    await screen.findByText(/Every session and API token bob had was revoked/);
    expect(patches).toEqual([{ username: 'bob', body: { password: 'a-new-password-1' } }]);
  });

  it('shows a user’s effective grants with links to what they name', async () => {
    serve([u(1, 'root', true), u(2, 'bob')]);
    renderWithProviders(<Users selected="bob" onSelect={() => {}} />);
    const table = await screen.findByRole('table', { name: 'Grants of bob' });
    await waitFor(() => expect(within(table).getByRole('link', { name: 'experiment:7' }).getAttribute('href')).toBe('/experiments/7'));
    expect(within(table).getByText('group ds')).toBeTruthy();
  });
});

describe('changedProfile', () => {
  it.each([
    [{ display_name: '', email: '', is_admin: false }, {}],
    [{ display_name: 'B', email: '', is_admin: false }, { display_name: 'B' }],
    [{ display_name: '', email: ' b@x.io ', is_admin: false }, { email: 'b@x.io' }],
    [{ display_name: '', email: '', is_admin: true }, { is_admin: true }],
  ])('%j → %j', (after, want) => {
    expect(changedProfile(u(2, 'bob'), after)).toEqual(want);
  });
});
