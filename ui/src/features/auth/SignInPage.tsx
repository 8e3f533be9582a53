import { useState } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { isApiError } from '../../api/client';
import { useAuth } from './AuthContext';

/** Only same-site paths are followed after sign-in. */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/signin')) return '/experiments';
  return next;
}

export default function SignInPage() {
  const { session, signIn } = useAuth();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const next = safeNext(params.get('next'));
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (session && !busy) return <Navigate to={next} replace />;
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
        {params.get('next') && !error && <p className="muted">Please sign in to continue.</p>}
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
        {error && (
          <div className="alert alert-error" role="alert">
            {error}
          </div>
        )}
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
