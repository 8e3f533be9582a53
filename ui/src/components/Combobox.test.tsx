import { useState } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Combobox } from './Combobox';
import { FormDialog } from './Modal';

type Search = (q: string, signal: AbortSignal) => Promise<readonly string[]>;

function Box({ search, onPick, onSubmit }: { search: Search; onPick?: (s: string) => void; onSubmit?: (v: string) => void }) {
  const [value, setValue] = useState('');
  return (
    <form
      aria-label="f"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit?.(value);
      }}
    >
      <Combobox<string>
        label="Person"
        value={value}
        onChange={setValue}
        search={search}
        optionValue={(s) => s}
        renderOption={(s) => <span>{s}</span>}
        onPick={onPick}
        emptyText="No one found"
      />
    </form>
  );
}

/** A search whose answers the test hands out, in any order. */
function deferredSearch() {
  const calls: { q: string; signal: AbortSignal; resolve: (v: string[]) => void; reject: (e: unknown) => void }[] = [];
  const search = vi.fn<Search>(
    (q, signal) =>
      new Promise((resolve, reject) => {
        calls.push({ q, signal, resolve, reject });
      }),
  );
  return { search, calls };
}

const NAMES = ['adam', 'alice', 'anna'];
const byPrefix: Search = async (q) => NAMES.filter((n) => n.startsWith(q.toLowerCase()));

const box = () => screen.getByRole('combobox', { name: 'Person' });
const tick = (ms: number) => act(() => vi.advanceTimersByTimeAsync(ms));
const activeName = () => {
  const id = box().getAttribute('aria-activedescendant');
  return id ? document.getElementById(id)?.textContent : undefined;
};

// Testing Library waits with setTimeout(0) and only advances fake timers it
// recognises as jest's; this lets it advance vitest's.
const withJest = globalThis as { jest?: { advanceTimersByTime: (ms: number) => void } };
beforeEach(() => {
  vi.useFakeTimers();
  withJest.jest = { advanceTimersByTime: (ms) => vi.advanceTimersByTime(ms) };
});
afterEach(() => {
  delete withJest.jest;
  vi.useRealTimers();
});

function setup() {
  return userEvent.setup({ delay: null });
}

describe('Combobox', () => {
  it('is a combobox that controls a listbox, closed at first', () => {
    render(<Box search={byPrefix} />);
    const input = box();
    expect(input.getAttribute('aria-expanded')).toBe('false');
    expect(input.getAttribute('aria-autocomplete')).toBe('list');
    const list = document.getElementById(input.getAttribute('aria-controls') ?? '');
    expect(list?.getAttribute('role')).toBe('listbox');
    expect(input.hasAttribute('aria-activedescendant')).toBe(false);
    // The visible label names the box.
    expect(screen.getByLabelText('Person')).toBe(input);
  });

  it('searches once, 200 ms after the last keystroke', async () => {
    const user = setup();
    const search = vi.fn(byPrefix);
    render(<Box search={search} />);
    await user.type(box(), 'a');
    await tick(150);
    await user.type(box(), 'l');
    await tick(150);
    await user.type(box(), 'i');
    await tick(199);
    expect(search).not.toHaveBeenCalled();
    await tick(1);
    expect(search).toHaveBeenCalledTimes(1);
    expect(search.mock.calls[0][0]).toBe('ali');
    expect(screen.getByRole('option', { name: 'alice' })).toBeTruthy();
    expect(box().getAttribute('aria-expanded')).toBe('true');
  });

  it.each([
    { order: 'older answer last', answers: [1, 0] },
    { order: 'older answer first', answers: [0, 1] },
  ])('ignores a stale answer ($order)', async ({ answers }) => {
    const user = setup();
    const { search, calls } = deferredSearch();
    render(<Box search={search} />);
    await user.type(box(), 'a');
    await tick(200);
    await user.type(box(), 'l');
    await tick(200);
    expect(calls.map((c) => c.q)).toEqual(['a', 'al']);
    expect(calls[0].signal.aborted).toBe(true);
    const replies = [['adam', 'alice', 'anna'], ['alice']];
    for (const i of answers) await act(async () => calls[i].resolve(replies[i]));
    expect(screen.getAllByRole('option').map((o) => o.textContent)).toEqual(['alice']);
  });

  it.each([
    { keys: '{ArrowDown}', active: 'adam', value: 'a', expanded: true },
    { keys: '{ArrowDown}{ArrowDown}', active: 'alice', value: 'a', expanded: true },
    { keys: '{ArrowDown}{ArrowDown}{ArrowDown}{ArrowDown}', active: 'adam', value: 'a', expanded: true },
    { keys: '{ArrowUp}', active: 'anna', value: 'a', expanded: true },
    { keys: '{ArrowDown}{ArrowUp}', active: 'anna', value: 'a', expanded: true },
    { keys: '{ArrowDown}{ArrowDown}{Enter}', active: undefined, value: 'alice', expanded: false },
    { keys: '{ArrowUp}{Enter}', active: undefined, value: 'anna', expanded: false },
    { keys: '{ArrowDown}{Escape}', active: undefined, value: 'a', expanded: false },
    { keys: '{Escape}{ArrowDown}', active: undefined, value: 'a', expanded: true },
    { keys: '{ArrowDown}{Escape}{ArrowDown}{ArrowDown}', active: 'adam', value: 'a', expanded: true },
  ])('$keys → active $active, value “$value”, expanded $expanded', async ({ keys, active, value, expanded }) => {
    const user = setup();
    const onPick = vi.fn();
    render(<Box search={byPrefix} onPick={onPick} />);
    await user.type(box(), 'a');
    await tick(200);
    expect(screen.getAllByRole('option')).toHaveLength(3);
    await user.keyboard(keys);
    await tick(200);
    expect(activeName()).toBe(active);
    expect((box() as HTMLInputElement).value).toBe(value);
    expect(box().getAttribute('aria-expanded')).toBe(String(expanded));
    expect(onPick).toHaveBeenCalledTimes(value === 'a' ? 0 : 1);
    if (active) {
      const option = screen.getByRole('option', { name: active });
      expect(option.getAttribute('aria-selected')).toBe('true');
    }
  });

  it('Enter with no option highlighted submits the typed text', async () => {
    const user = setup();
    const onSubmit = vi.fn();
    render(<Box search={byPrefix} onSubmit={onSubmit} />);
    await user.type(box(), 'al');
    await tick(200);
    expect(screen.getAllByRole('option')).toHaveLength(1);
    await user.keyboard('{Enter}');
    expect(onSubmit).toHaveBeenCalledWith('al');
  });

  it('Enter on a highlighted option picks it and does not submit', async () => {
    const user = setup();
    const onSubmit = vi.fn();
    render(<Box search={byPrefix} onSubmit={onSubmit} />);
    await user.type(box(), 'al');
    await tick(200);
    await user.keyboard('{ArrowDown}{Enter}');
    expect((box() as HTMLInputElement).value).toBe('alice');
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it('a click picks an option, fills the box and keeps focus in it', async () => {
    const user = setup();
    const onPick = vi.fn();
    render(<Box search={byPrefix} onPick={onPick} />);
    await user.type(box(), 'an');
    await tick(200);
    await user.click(screen.getByRole('option', { name: 'anna' }));
    expect((box() as HTMLInputElement).value).toBe('anna');
    expect(onPick).toHaveBeenCalledWith('anna');
    expect(document.activeElement).toBe(box());
    expect(box().getAttribute('aria-expanded')).toBe('false');
    // A picked value is not searched again.
    await tick(1000);
    expect(screen.queryAllByRole('option')).toHaveLength(0);
  });

  it('says when nothing is found, and not before the answer', async () => {
    const user = setup();
    const { search, calls } = deferredSearch();
    render(<Box search={search} />);
    await user.type(box(), 'zz');
    expect(screen.getByRole('status').textContent).toBe('');
    await tick(200);
    expect(screen.getByRole('status').textContent).toBe('Searching…');
    await act(async () => calls[0].resolve([]));
    expect(screen.getByRole('status').textContent).toBe('No one found');
    expect(box().getAttribute('aria-expanded')).toBe('false');
    // Leaving the box closes the note.
    await user.tab();
    expect(screen.queryByText('No one found')).toBeNull();
  });

  it('shows a failed search and recovers on the next keystroke', async () => {
    const user = setup();
    const { search, calls } = deferredSearch();
    render(<Box search={search} />);
    await user.type(box(), 'a');
    await tick(200);
    await act(async () => calls[0].reject(new Error('directory unavailable')));
    expect(screen.getByRole('alert').textContent).toContain('directory unavailable');
    expect(box().getAttribute('aria-expanded')).toBe('false');
    await user.type(box(), 'd');
    await tick(200);
    await act(async () => calls[1].resolve(['adam']));
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.getByRole('option', { name: 'adam' })).toBeTruthy();
  });

  it.each([
    { typed: '   ', searched: false },
    { typed: 'x'.repeat(64), searched: true },
    { typed: 'x'.repeat(65), searched: false },
  ])('a query of $typed.length characters is searched: $searched', async ({ typed, searched }) => {
    const user = setup();
    const search = vi.fn(byPrefix);
    render(<Box search={search} />);
    await user.type(box(), typed);
    await tick(200);
    expect(search).toHaveBeenCalledTimes(searched ? 1 : 0);
  });

  it('Escape closes only the list inside a dialog; a second Escape closes the dialog', async () => {
    const user = setup();
    const onClose = vi.fn();
    function InDialog() {
      const [value, setValue] = useState('');
      return (
        <FormDialog title="Add" submitLabel="Save" onClose={onClose} onSubmit={() => {}}>
          <Combobox<string> label="Person" value={value} onChange={setValue} search={byPrefix} optionValue={(s) => s} renderOption={(s) => s} />
        </FormDialog>
      );
    }
    render(<InDialog />);
    await user.type(box(), 'a');
    await tick(200);
    expect(box().getAttribute('aria-expanded')).toBe('true');
    await user.keyboard('{Escape}');
    expect(box().getAttribute('aria-expanded')).toBe('false');
    expect(onClose).not.toHaveBeenCalled();
    await user.keyboard('{Escape}');
    expect(onClose).toHaveBeenCalledTimes(1);
  });
});
