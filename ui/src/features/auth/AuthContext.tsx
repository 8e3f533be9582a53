import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { auth } from '../../api/account';
import { loadSession, onSessionChange, saveSession, type Session } from '../../api/session';

interface AuthValue {
  session: Session | null;
  signIn: (username: string, password: string) => Promise<Session>;
  /** Finishes a single sign-on with the ticket its callback gave. */
  redeem: (ticket: string) => Promise<Session>;
  signOut: () => Promise<void>;
}

const Ctx = createContext<AuthValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(() => loadSession());
  useEffect(() => onSessionChange(setSession), []);
  const value: AuthValue = {
    session,
    signIn: async (username, password) => {
      const a = await auth.login(username, password);
      const s = { token: a.token, user: a.user };
      saveSession(s);
      return s;
    },
    redeem: async (ticket) => {
      const a = await auth.redeem(ticket);
      const s = { token: a.token, user: a.user };
      saveSession(s);
      return s;
    },
    signOut: async () => {
      let logoutUrl: string | undefined;
      try {
        logoutUrl = (await auth.logout())?.logout_url;
      } catch {
        /* the session is dropped here whatever the server says */
      }
      saveSession(null);
      // Signed in by the identity provider: end its session too.
      if (logoutUrl && /^https?:\/\//.test(logoutUrl)) window.location.assign(logoutUrl);
    },
  };
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useAuth(): AuthValue {
  const v = useContext(Ctx);
  if (!v) throw new Error('useAuth outside AuthProvider');
  return v;
}

export function useUser() {
  return useAuth().session?.user ?? null;
}

/** Sends signed-out visitors to sign-in, remembering where they were. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { session } = useAuth();
  const loc = useLocation();
  if (!session) {
    const next = loc.pathname + loc.search;
    return <Navigate to={`/signin?next=${encodeURIComponent(next)}`} replace />;
  }
  return <>{children}</>;
}

export function RequireAdmin({ children }: { children: ReactNode }) {
  const user = useUser();
  if (!user?.is_admin) {
    return (
      <div className="page">
        <div className="alert alert-warn" role="alert">
          This page is for administrators. Ask an administrator if you need something changed.
        </div>
      </div>
    );
  }
  return <>{children}</>;
}
