import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { Route, Routes, useLocation } from 'react-router';
import { json, mockFetch, renderWithProviders } from '../../test/utils';
import { getToken } from '../../api/session';
import { RequireAuth } from './AuthContext';
import SignInPage, { safeNext } from './SignInPage';

function Where() {
  const l = useLocation();
  return <div data-testid="where">{l.pathname + l.search}</div>;
}

const routes = (
  <Routes>
    <Route path="/signin" element={<SignInPage />} />
    <Route path="*" element={<RequireAuth><Where /></RequireAuth>} />
  </Routes>
);

afterEach(() => vi.unstubAllGlobals());

describe('sign-in flow', () => {
  it('sends a signed-out visitor to sign-in and back where they were', async () => {
    const { calls } = mockFetch((url) =>
      url.pathname === '/api/auth/login'
        ? json({ token: 'mls_new', expires_at: '2030-01-01T00:00:00Z', user: { id: 2, username: 'alice', display_name: '', email: '', is_active: true, is_admin: false } })
        : undefined,
    );
    renderWithProviders(routes, '/experiments/7?x=1');
    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Username'), { target: { value: 'alice' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'secret-password' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(screen.getByTestId('where').textContent).toBe('/experiments/7?x=1'));
    expect(getToken()).toBe('mls_new');
    expect(JSON.parse(String(calls[0].init.body))).toEqual({ username: 'alice', password: 'secret-password' });
  });

  it('says so plainly when the password is wrong', async () => {
    mockFetch(() => json({ error: 'invalid credentials' }, 401));
    renderWithProviders(routes, '/signin');
    fireEvent.change(screen.getByLabelText('Username'), { target: { value: 'alice' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'nope' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Wrong username or password.');
    expect(getToken()).toBeNull();
  });

  it('follows only same-site paths after sign-in', () => {
    expect(safeNext('/runs/1')).toBe('/runs/1');
    expect(safeNext('//evil.example')).toBe('/experiments');
    expect(safeNext('https://evil.example')).toBe('/experiments');
    expect(safeNext(null)).toBe('/experiments');
  });
});
