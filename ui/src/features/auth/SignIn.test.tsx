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
    const login = calls.find((c) => c.url.pathname === '/api/auth/login');
    expect(JSON.parse(String(login?.init.body))).toEqual({ username: 'alice', password: 'secret-password' });
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

  it('offers the identity provider beside the password form', async () => {
    mockFetch((url) =>
      url.pathname === '/api/auth/providers' ? json({ password: true, sso: { name: 'Keycloak', login_url: '/api/auth/oidc/login' } }) : undefined,
    );
    renderWithProviders(routes, '/experiments/7?x=1');
    const link = await screen.findByRole('link', { name: 'Sign in with Keycloak' });
    expect(link.getAttribute('href')).toBe('/api/auth/oidc/login?next=%2Fexperiments%2F7%3Fx%3D1');
    expect(screen.getByLabelText('Password')).toBeTruthy();
  });

  it('shows no password form when an admin turned passwords off', async () => {
    mockFetch((url) =>
      url.pathname === '/api/auth/providers' ? json({ password: false, sso: { name: 'Okta', login_url: '/api/auth/oidc/login' } }) : undefined,
    );
    renderWithProviders(routes, '/signin');
    expect(await screen.findByRole('link', { name: 'Sign in with Okta' })).toBeTruthy();
    expect(screen.queryByLabelText('Password')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Sign in' })).toBeNull();
  });

  it('redeems the ticket single sign-on came back with, once, and lands on next', async () => {
    const { calls } = mockFetch((url) =>
      url.pathname === '/api/auth/oidc/session'
        ? json({ token: 'mls_sso', expires_at: '2030-01-01T00:00:00Z', user: { id: 3, username: 'bob', display_name: 'Bob', email: '', is_active: true, is_admin: true } })
        : undefined,
    );
    renderWithProviders(routes, '/signin?sso_ticket=t-123&next=%2Fmodels');
    await waitFor(() => expect(screen.getByTestId('where').textContent).toBe('/models'));
    expect(getToken()).toBe('mls_sso');
    const redeems = calls.filter((c) => c.url.pathname === '/api/auth/oidc/session');
    expect(redeems.length).toBe(1);
    expect(JSON.parse(String(redeems[0].init.body))).toEqual({ ticket: 't-123' });
  });

  it('says so when single sign-on did not complete', async () => {
    mockFetch((url) => (url.pathname === '/api/auth/oidc/session' ? json({ error: 'this sign-in is unknown, expired or already used; start again: invalid' }, 400) : undefined));
    renderWithProviders(routes, '/signin?sso_ticket=used');
    expect((await screen.findByRole('alert')).textContent).toContain('Single sign-on did not complete');
    expect(getToken()).toBeNull();
  });

  it('follows only same-site paths after sign-in', () => {
    expect(safeNext('/runs/1')).toBe('/runs/1');
    expect(safeNext('//evil.example')).toBe('/experiments');
    expect(safeNext('https://evil.example')).toBe('/experiments');
    expect(safeNext(null)).toBe('/experiments');
  });
});
