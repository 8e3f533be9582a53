import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import type { ApiToken } from '../../api/types';
import { json, mockFetch, renderWithProviders } from '../../test/utils';
import { ChangePassword } from './ChangePassword';

afterEach(() => vi.unstubAllGlobals());

const tok = (id: number): ApiToken => ({ id, name: `t${id}`, created_at: '', expires_at: '2099-01-01T00:00:00Z', last_used_at: null, revoked: false });

function fill(current: string, pw: string, again = pw) {
  fireEvent.change(screen.getByLabelText('Current password'), { target: { value: current } });
  fireEvent.change(screen.getByLabelText(/^New password/), { target: { value: pw } });
  fireEvent.change(screen.getByLabelText(/^Repeat the new password/), { target: { value: again } });
}

describe('changing one’s password', () => {
  it.each([
    ['keeps the API tokens by default', false, [], /API tokens keep working/],
    ['revokes them when asked', true, ['/api/tokens/4', '/api/tokens/5'], /2 API tokens were revoked/],
  ])('%s', async (_name, revoke, wantRevoked, wantSaid) => {
    const { calls } = mockFetch((url, init) => {
      if (url.pathname === '/api/users/alice' && init.method === 'PATCH') return json({ username: 'alice' });
      if (url.pathname.startsWith('/api/tokens/') && init.method === 'DELETE') return new Response(null, { status: 204 });
      return undefined;
    });
    renderWithProviders(<ChangePassword username="alice" liveTokens={[tok(4), tok(5)]} />);
    fill('old-password-123', 'new-password-456');
    if (revoke) fireEvent.click(screen.getByLabelText(/Also revoke my 2 API tokens/));
    fireEvent.click(screen.getByRole('button', { name: 'Change password' }));
    expect((await screen.findByRole('status')).textContent).toMatch(wantSaid);
    const patch = calls.find((c) => c.init.method === 'PATCH')!;
    expect(JSON.parse(String(patch.init.body))).toEqual({ password: 'new-password-456', current_password: 'old-password-123' });
    expect(calls.filter((c) => c.init.method === 'DELETE').map((c) => c.url.pathname).sort()).toEqual(wantRevoked);
  });

  it('refuses to send differing or short passwords, and shows a wrong current password plainly', async () => {
    mockFetch((url, init) => (url.pathname === '/api/users/alice' && init.method === 'PATCH' ? json({ error: 'current_password is not your current password: forbidden' }, 403) : undefined));
    renderWithProviders(<ChangePassword username="alice" liveTokens={[]} />);
    const submit = screen.getByRole('button', { name: 'Change password' }) as HTMLButtonElement;
    fill('old-password-123', 'new-password-456', 'new-password-457');
    expect(submit.disabled).toBe(true);
    fill('old-password-123', 'short', 'short');
    expect(submit.disabled).toBe(true);
    expect(screen.queryByLabelText(/Also revoke/)).toBeNull();
    fill('wrong-password-1', 'new-password-456');
    fireEvent.click(submit);
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('Your current password is not right.'));
  });
});
