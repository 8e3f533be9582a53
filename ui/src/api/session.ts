import type { User } from './types';

const TOKEN_KEY = 'mlstudio.token';
const USER_KEY = 'mlstudio.user';

export interface Session {
  token: string;
  user: User;
}

type Listener = (s: Session | null) => void;
const listeners = new Set<Listener>();

export function loadSession(): Session | null {
  try {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const user = sessionStorage.getItem(USER_KEY);
    if (!token || !user) return null;
    return { token, user: JSON.parse(user) as User };
  } catch {
    return null;
  }
}

export function saveSession(s: Session | null): void {
  if (s) {
    sessionStorage.setItem(TOKEN_KEY, s.token);
    sessionStorage.setItem(USER_KEY, JSON.stringify(s.user));
  } else {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(USER_KEY);
  }
  listeners.forEach((l) => l(s));
}

export function getToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function onSessionChange(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}
