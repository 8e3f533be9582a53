import { Component, type ReactNode } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, render, screen } from '@testing-library/react';
import { lazyPage } from './lazyPage';

afterEach(() => vi.restoreAllMocks());

function Hello({ who }: { who: string }) {
  return <p>hello {who}</p>;
}

/** A chunk that arrives when the test says so. */
function chunk() {
  let arrive!: () => void;
  let fail!: (e: Error) => void;
  const promise = new Promise<{ default: typeof Hello }>((ok, ko) => {
    arrive = () => ok({ default: Hello });
    fail = ko;
  });
  return { load: vi.fn(() => promise), arrive, fail };
}

class Catch extends Component<{ children: ReactNode }, { error: string | null }> {
  state = { error: null };
  static getDerivedStateFromError(e: Error) {
    return { error: e.message };
  }
  render() {
    return this.state.error ? <p role="alert">{this.state.error}</p> : this.props.children;
  }
}

describe('lazyPage', () => {
  it('shows its fallback, then the page as soon as the chunk arrives', async () => {
    const c = chunk();
    const { Page } = lazyPage(c.load, <p>wait</p>);
    render(<Page who="you" />);
    expect(screen.getByText('wait')).toBeTruthy();
    await act(async () => c.arrive());
    expect(screen.getByText('hello you')).toBeTruthy();
    expect(screen.queryByText('wait')).toBeNull();
  });

  it('renders the page at once when preloaded before, loading the chunk once', async () => {
    const c = chunk();
    const p = lazyPage(c.load, <p>wait</p>);
    const asked = p.preload();
    expect(p.preload()).toBe(asked);
    c.arrive();
    await asked;
    render(<p.Page who="early" />);
    // The first render already shows the page: no fallback in between.
    expect(screen.getByText('hello early')).toBeTruthy();
    expect(c.load).toHaveBeenCalledTimes(1);
  });

  it('throws a chunk that failed to the error boundary, and asks again next time', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const first = chunk();
    const second = chunk();
    const load = vi.fn().mockImplementationOnce(first.load).mockImplementationOnce(second.load);
    const p = lazyPage<{ who: string }>(load, <p>wait</p>);
    render(
      <Catch>
        <p.Page who="x" />
      </Catch>,
    );
    await act(async () => first.fail(new Error('chunk failed')));
    expect(screen.getByRole('alert').textContent).toBe('chunk failed');
    const again = p.preload();
    second.arrive();
    await again;
    expect(load).toHaveBeenCalledTimes(2);
  });
});
