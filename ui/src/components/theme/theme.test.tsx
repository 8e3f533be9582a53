import { describe, expect, it } from 'vitest';
import { act, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createThemeStore, parseChoice, THEME_KEY } from './theme';
import { ThemeToggle } from './ThemeToggle';

/** A prefers-color-scheme query whose answer the test flips. */
function fakeMedia(dark: boolean) {
  const fns = new Set<() => void>();
  return {
    matches: dark,
    addEventListener: (_: string, fn: () => void) => void fns.add(fn),
    removeEventListener: (_: string, fn: () => void) => void fns.delete(fn),
    flip(d: boolean) {
      this.matches = d;
      fns.forEach((fn) => fn());
    },
  };
}

function memStorage(init: Record<string, string> = {}) {
  const m = new Map(Object.entries(init));
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k), m };
}

describe('theme', () => {
  it.each([
    ['system', 'system'],
    ['light', 'light'],
    ['dark', 'dark'],
    [null, 'system'],
    ['purple', 'system'],
    ['', 'system'],
  ] as const)('reads the stored choice %s as %s', (stored, want) => {
    expect(parseChoice(stored)).toBe(want);
  });

  it.each([
    // stored choice, system dark?, shown theme
    [undefined, false, 'light'],
    [undefined, true, 'dark'],
    ['light', true, 'light'],
    ['dark', false, 'dark'],
    ['system', true, 'dark'],
  ] as const)('choice %s with a dark system %s shows %s and marks <html>', (stored, dark, want) => {
    const root = document.createElement('html');
    const store = createThemeStore({ storage: memStorage(stored ? { [THEME_KEY]: stored } : {}), media: fakeMedia(dark), root });
    expect(store.theme()).toBe(want);
    expect(root.dataset.theme).toBe(want);
  });

  it('follows the system while on "system", not after an explicit choice, and remembers the choice', () => {
    const root = document.createElement('html');
    const media = fakeMedia(false);
    const storage = memStorage();
    const store = createThemeStore({ storage, media, root });
    let heard = 0;
    store.subscribe(() => heard++);
    media.flip(true);
    expect(root.dataset.theme).toBe('dark');
    expect(heard).toBe(1);
    store.setChoice('light');
    expect(storage.m.get(THEME_KEY)).toBe('light');
    media.flip(true);
    expect(root.dataset.theme).toBe('light');
    // A new page load reads the remembered choice.
    expect(createThemeStore({ storage, media, root: document.createElement('html') }).choice()).toBe('light');
    store.setChoice('system');
    expect(storage.m.has(THEME_KEY)).toBe(false);
    expect(root.dataset.theme).toBe('dark');
  });

  it('still works when storage refuses', () => {
    const refusing = { getItem: () => { throw new Error('denied'); }, setItem: () => { throw new Error('denied'); }, removeItem: () => { throw new Error('denied'); } };
    const root = document.createElement('html');
    const store = createThemeStore({ storage: refusing, media: fakeMedia(false), root });
    store.setChoice('dark');
    expect(root.dataset.theme).toBe('dark');
  });

  it('the toggle offers System, Light and Dark and switches the page', async () => {
    const root = document.createElement('html');
    const storage = memStorage();
    const store = createThemeStore({ storage, media: fakeMedia(false), root });
    render(<ThemeToggle store={store} />);
    const select = screen.getByLabelText('Theme') as HTMLSelectElement;
    expect([...select.options].map((o) => o.textContent)).toEqual(['System', 'Light', 'Dark']);
    expect(select.value).toBe('system');
    await userEvent.selectOptions(select, 'dark');
    expect(root.dataset.theme).toBe('dark');
    expect(storage.m.get(THEME_KEY)).toBe('dark');
    act(() => store.setChoice('light'));
    expect(select.value).toBe('light');
  });
});
