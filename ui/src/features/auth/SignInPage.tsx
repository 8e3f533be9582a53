import { useEffect, useRef, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { auth } from '../../api/account';
import { isApiError } from '../../api/client';
import { useAuth } from './AuthContext';

/** Only same-site paths are followed after sign-in. */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/signin')) return '/experiments';
  return next;
}

export default function SignInPage() {
  const { session, signIn, redeem } = useAuth();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const next = safeNext(params.get('next'));
  const ticket = params.get('sso_ticket');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const ssoError = params.get('sso_error');
  const [error, setError] = useState<string | null>(ssoError ? `Single sign-on did not complete: ${ssoError}` : null);
  const [busy, setBusy] = useState(!!ticket);
  const methods = useQuery({ queryKey: ['auth', 'sign-in-methods'], queryFn: auth.methods, retry: false, staleTime: Infinity });
  // Back from the identity provider: the one-time ticket becomes a session
  // (once: a ticket works only once, and StrictMode runs effects twice).
  const redeemed = useRef(false);
  useEffect(() => {
    if (!ticket || redeemed.current) return;
    redeemed.current = true;
    redeem(ticket)
      .then(() => navigate(next, { replace: true }))
      .catch((err: unknown) => {
        setError(`Single sign-on did not complete: ${err instanceof Error ? err.message : String(err)} Please try again.`);
        setBusy(false);
      });
  }, [ticket, next, redeem, navigate]);
  if (session && !busy) return <Navigate to={next} replace />;
  const sso = methods.data?.sso;
  const passwords = methods.data?.password ?? true;
  return (
    <div className="signin">
      <form
        className="signin-card"
        aria-labelledby="signin-title"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            await signIn(username.trim(), password);
            navigate(next, { replace: true });
          } catch (err) {
            if (isApiError(err) && err.status === 401) setError('Wrong username or password.');
            else if (isApiError(err) && err.status === 429) setError('Too many attempts. Wait a few minutes and try again.');
            else setError(err instanceof Error ? err.message : String(err));
          } finally {
            setBusy(false);
          }
        }}
      >
        <div className="brand brand-large">
          <span className="brand-mark" aria-hidden="true" />
          ML Studio
        </div>
        <h1 id="signin-title">Sign in</h1>
        {params.get('next') && !error && !ticket && <p className="muted">Please sign in to continue.</p>}
        {sso && (
          <a className="btn btn-block" href={`${sso.login_url}?next=${encodeURIComponent(next)}`}>
            Sign in with {sso.name}
          </a>
        )}
        {passwords && (
          <>
            <label>
              Username
              <input name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required autoFocus />
            </label>
            <label>
              Password
              <input
                name="password"
                type="password"
                autoComplete="current-password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                required
              />
            </label>
          </>
        )}
        {error && (
          <div className="alert alert-error" role="alert">
            {error}
          </div>
        )}
        {passwords && (
          <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        )}
      </form>
    </div>
  );
}
