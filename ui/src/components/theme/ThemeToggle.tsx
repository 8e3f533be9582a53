import { THEME_CHOICES, useTheme, type ThemeChoice, type ThemeStore } from './theme';

const LABEL: Record<ThemeChoice, string> = { system: 'System', light: 'Light', dark: 'Dark' };

/** System / Light / Dark, remembered in this browser. */
export function ThemeToggle({ store }: { store?: ThemeStore }) {
  const { choice, setChoice } = useTheme(store);
  return (
    <label className="theme-toggle">
      <span className="sr-only">Theme</span>
      <select value={choice} onChange={(e) => setChoice(e.target.value as ThemeChoice)} title="Theme">
        {THEME_CHOICES.map((c) => (
          <option key={c} value={c}>
            {LABEL[c]}
          </option>
        ))}
      </select>
    </label>
  );
}
