import { useSyncExternalStore } from 'react';

/** What the person chose; "system" follows prefers-color-scheme. */
export type ThemeChoice = 'system' | 'light' | 'dark';
/** What is shown. */
export type Theme = 'light' | 'dark';

export const THEME_KEY = 'mlstudio.theme';
export const THEME_CHOICES: readonly ThemeChoice[] = ['system', 'light', 'dark'];
const DARK_QUERY = '(prefers-color-scheme: dark)';

export interface ThemeDeps {
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
  /** The prefers-color-scheme: dark query (a MediaQueryList in the page). */
  media?: { readonly matches: boolean; addEventListener(type: 'change', fn: () => void): void };
  root?: HTMLElement;
}

export interface ThemeStore {
  choice(): ThemeChoice;
  theme(): Theme;
  setChoice(c: ThemeChoice): void;
  subscribe(fn: () => void): () => void;
}

export function parseChoice(v: string | null | undefined): ThemeChoice {
  return THEME_CHOICES.includes(v as ThemeChoice) ? (v as ThemeChoice) : 'system';
}

/**
 * The theme: the choice is remembered in localStorage, "system" follows the
 * operating system's setting as it changes, and the shown theme is written to
 * <html data-theme> where the stylesheet's variables pick it up.
 */
export function createThemeStore({ storage, media, root }: ThemeDeps): ThemeStore {
  let choice = parseChoice(safe(() => storage?.getItem(THEME_KEY)));
  const listeners = new Set<() => void>();
  const theme = (): Theme => (choice === 'system' ? (media?.matches ? 'dark' : 'light') : choice);
  const apply = () => {
    if (root) {
      root.dataset.theme = theme();
      root.dataset.themeChoice = choice;
    }
    listeners.forEach((fn) => fn());
  };
  media?.addEventListener('change', () => {
    if (choice === 'system') apply();
  });
  apply();
  return {
    choice: () => choice,
    theme,
    setChoice(c) {
      choice = c;
      safe(() => (c === 'system' ? storage?.removeItem(THEME_KEY) : storage?.setItem(THEME_KEY, c)));
      apply();
    },
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}

// Storage may be refused (private modes, blocked cookies): the theme still works for the page.
function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

let appStore: ThemeStore | undefined;

/** The page's one theme store (created on first use, against the real document). */
export function themeStore(): ThemeStore {
  appStore ??= createThemeStore({
    storage: safe(() => window.localStorage),
    media: typeof window.matchMedia === 'function' ? window.matchMedia(DARK_QUERY) : undefined,
    root: document.documentElement,
  });
  return appStore;
}

/** The current choice and shown theme; re-renders when either changes. */
export function useTheme(store: ThemeStore = themeStore()): { choice: ThemeChoice; theme: Theme; setChoice: (c: ThemeChoice) => void } {
  const snap = useSyncExternalStore(store.subscribe, () => `${store.choice()}:${store.theme()}`);
  const [choice, theme] = snap.split(':') as [ThemeChoice, Theme];
  return { choice, theme, setChoice: store.setChoice };
}
