import { useEffect, useId, useLayoutEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';

export interface ComboboxProps<T> {
  /** The input's accessible name; shown above it unless `hideLabel`. */
  label: string;
  hideLabel?: boolean;
  /** The text in the box: free text, or what a picked option put there. */
  value: string;
  onChange: (value: string) => void;
  /** Suggestions for a trimmed query. An answer that arrives after the query changed is dropped. */
  search: (query: string, signal: AbortSignal) => Promise<readonly T[]>;
  /** The text an option puts into the box, also its key. */
  optionValue: (item: T) => string;
  /** The option's content (its accessible name comes from it). */
  renderOption: (item: T) => ReactNode;
  /** Called after an option was picked (the value is already set). */
  onPick?: (item: T) => void;
  /** Shorter queries are not searched; with 0, ArrowDown on an empty box lists everything. */
  minLength?: number;
  /** Longer queries are not searched (characters, not bytes). */
  maxLength?: number;
  /** Debounce between the last keystroke and the search, in ms. */
  delay?: number;
  /** Shown when a search finds nothing. */
  emptyText?: string;
  placeholder?: string;
  id?: string;
  className?: string;
}

interface Answer<T> {
  status: 'idle' | 'loading' | 'done' | 'error';
  /** The query this status is about. */
  query: string;
  /** The last options found (kept while the next search runs). */
  items: readonly T[];
  error?: unknown;
}

const chars = (s: string) => Array.from(s).length;

/**
 * A text box with suggestions (the WAI-ARIA combobox pattern with a listbox
 * popup, list autocomplete, manual selection). Typing opens the list and
 * searches after `delay`; ArrowDown/ArrowUp move through the options (and
 * wrap), Enter picks the highlighted one, Escape closes the list, leaving the
 * box closes it. Nothing forces a pick: whatever is typed stays the value.
 */
export function Combobox<T>({
  label,
  hideLabel = false,
  value,
  onChange,
  search,
  optionValue,
  renderOption,
  onPick,
  minLength = 1,
  maxLength = 64,
  delay = 200,
  emptyText = 'Nothing found',
  placeholder,
  id,
  className,
}: ComboboxProps<T>) {
  const autoId = useId();
  const inputId = id ?? `${autoId}-input`;
  const listId = `${autoId}-list`;
  const optionId = (i: number) => `${autoId}-option-${i}`;

  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const [answer, setAnswer] = useState<Answer<T>>({ status: 'idle', query: '', items: [] });

  // The latest search function without re-running the effect when a caller
  // passes a new arrow function each render.
  const searchRef = useRef(search);
  useLayoutEffect(() => {
    searchRef.current = search;
  });

  const query = value.trim();
  const searchable = open && chars(query) >= minLength && chars(query) <= maxLength;

  useEffect(() => {
    if (!searchable) return;
    let current = true;
    const ctrl = new AbortController();
    const timer = setTimeout(() => {
      setAnswer((a) => ({ ...a, status: 'loading', query }));
      searchRef.current(query, ctrl.signal).then(
        (items) => {
          if (!current) return;
          setAnswer({ status: 'done', query, items });
          // Typing already cleared the highlight; a refreshed answer for the same query keeps it.
          setActive((i) => (i < items.length ? i : -1));
        },
        (error: unknown) => {
          if (current) setAnswer({ status: 'error', query, items: [], error });
        },
      );
    }, delay);
    return () => {
      current = false;
      clearTimeout(timer);
      ctrl.abort();
    };
  }, [query, searchable, delay]);

  // Options stay on screen while the next query's answer is on its way.
  const items: readonly T[] = searchable ? answer.items : [];
  const fresh = answer.query === query;
  const expanded = searchable && items.length > 0;
  const activeIndex = expanded && active < items.length ? active : -1;

  useEffect(() => {
    if (activeIndex < 0) return;
    const el = document.getElementById(`${autoId}-option-${activeIndex}`);
    if (el && typeof el.scrollIntoView === 'function') el.scrollIntoView({ block: 'nearest' });
  }, [autoId, activeIndex]);

  const close = () => {
    setOpen(false);
    setActive(-1);
  };

  const pick = (item: T) => {
    onChange(optionValue(item));
    close();
    onPick?.(item);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    switch (e.key) {
      case 'ArrowDown':
      case 'ArrowUp': {
        if (e.altKey && e.key === 'ArrowUp') {
          close();
          return;
        }
        e.preventDefault();
        if (!open || !expanded) {
          setOpen(true);
          return;
        }
        const n = items.length;
        setActive(e.key === 'ArrowDown' ? (activeIndex + 1) % n : activeIndex <= 0 ? n - 1 : activeIndex - 1);
        return;
      }
      case 'Enter':
        if (activeIndex >= 0) {
          e.preventDefault();
          pick(items[activeIndex]);
        }
        return;
      case 'Escape':
        if (open) {
          // Only the list closes, not a dialog around the box.
          e.preventDefault();
          e.stopPropagation();
          close();
        }
        return;
      case 'Tab':
        close();
        return;
    }
  };

  let note: ReactNode = null;
  let failure: unknown = null;
  if (searchable && fresh && !expanded) {
    if (answer.status === 'loading') note = 'Searching…';
    else if (answer.status === 'done') note = emptyText;
    else if (answer.status === 'error') failure = answer.error ?? 'the search failed';
  }

  return (
    <div className={className ? `combobox ${className}` : 'combobox'}>
      {!hideLabel && <label htmlFor={inputId}>{label}</label>}
      <div className="combobox-box">
        <input
          id={inputId}
          type="text"
          role="combobox"
          aria-label={hideLabel ? label : undefined}
          aria-autocomplete="list"
          aria-expanded={expanded}
          aria-controls={listId}
          aria-activedescendant={activeIndex >= 0 ? optionId(activeIndex) : undefined}
          aria-busy={searchable && answer.status === 'loading'}
          autoComplete="off"
          spellCheck={false}
          placeholder={placeholder}
          value={value}
          onChange={(e) => {
            onChange(e.target.value);
            setOpen(true);
            setActive(-1);
          }}
          onKeyDown={onKeyDown}
          onBlur={close}
        />
        <ul id={listId} role="listbox" aria-label="Suggestions" className="combobox-list" hidden={!expanded}>
          {items.map((item, i) => (
            <li
              key={optionValue(item)}
              id={optionId(i)}
              role="option"
              aria-selected={i === activeIndex}
              className="combobox-option"
              // Keep focus in the box so the click below still picks.
              onMouseDown={(e) => e.preventDefault()}
              onMouseMove={() => i !== activeIndex && setActive(i)}
              onClick={() => pick(item)}
            >
              {renderOption(item)}
            </li>
          ))}
        </ul>
        <div role="status" className="combobox-note">
          {note}
        </div>
        {failure != null && (
          <div role="alert" className="combobox-note combobox-error">
            Couldn’t search: {failure instanceof Error ? failure.message : String(failure)}
          </div>
        )}
      </div>
    </div>
  );
}
