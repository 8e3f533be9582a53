import { Suspense } from 'react';
import { NavLink, Outlet, useNavigate } from 'react-router';
import { ThemeToggle } from './components/theme/ThemeToggle';
import { useAuth } from './features/auth/AuthContext';

export function Layout() {
  const { session, signOut } = useAuth();
  const navigate = useNavigate();
  const user = session?.user;
  return (
    <div className="app">
      <header className="topbar">
        <a className="brand" href="/experiments" onClick={(e) => { e.preventDefault(); navigate('/experiments'); }}>
          <span className="brand-mark" aria-hidden="true" />
          ML Studio
        </a>
        <nav aria-label="Main">
          <NavLink to="/experiments">Experiments</NavLink>
          <NavLink to="/models">Models</NavLink>
          <NavLink to="/prompts">Prompts</NavLink>
          <NavLink to="/account">My account</NavLink>
          {user?.is_admin && <NavLink to="/admin">Admin</NavLink>}
        </nav>
        <div className="topbar-user">
          <ThemeToggle />
          <span className="user-chip" title={user?.email || user?.username}>
            <span className="avatar" aria-hidden="true">{(user?.display_name || user?.username || '?').slice(0, 1).toUpperCase()}</span>
            <span data-testid="current-user">{user?.display_name || user?.username}</span>
            {user?.is_admin && <span className="badge">admin</span>}
          </span>
          <button
            type="button"
            className="btn btn-small"
            onClick={async () => {
              await signOut();
              navigate('/signin', { replace: true });
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <main className="main">
        <Suspense fallback={<div className="page loading">Loading…</div>}>
          <Outlet />
        </Suspense>
      </main>
    </div>
  );
}
