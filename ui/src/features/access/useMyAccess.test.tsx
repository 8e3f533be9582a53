import { afterEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import { saveSession } from '../../api/session';
import type { User } from '../../api/types';
import { json, mockFetch, myAccessServer, renderWithProviders } from '../../test/utils';
import { useMyAccess, type AskedOperation } from './useMyAccess';

const bob: User = { id: 2, username: 'bob', display_name: '', email: '', is_active: true, is_admin: false };

function Probe({ elements, ask }: { elements: string[]; ask: [AskedOperation, string][] }) {
  const a = useMyAccess(elements);
  return <p data-testid="probe">{a.loading ? 'loading' : ask.map(([op, e]) => `${op}:${e}=${a.can(op, e)}`).join(' ')}</p>;
}

afterEach(() => {
  vi.unstubAllGlobals();
  saveSession(null);
});

describe('useMyAccess', () => {
  it('asks cerberus once for every element and shows only what it allows', async () => {
    saveSession({ token: 't', user: bob });
    const { calls } = mockFetch(myAccessServer({ 'experiment:1': ['edit'], 'experiment:2': ['edit', 'manage'], 'project:default': ['create'] }));
    renderWithProviders(
      <Probe
        elements={['experiment:1', 'experiment:2', 'experiment:1', 'project:default']}
        ask={[
          ['edit', 'experiment:1'],
          ['manage', 'experiment:1'],
          ['manage', 'experiment:2'],
          ['create', 'project:default'],
          ['edit', 'experiment:9'],
        ]}
      />,
    );
    await waitFor(() =>
      expect(screen.getByTestId('probe').textContent).toBe(
        'edit:experiment:1=true manage:experiment:1=false manage:experiment:2=true create:project:default=true edit:experiment:9=false',
      ),
    );
    const asked = calls.filter((c) => c.url.pathname === '/api/authorize/batch');
    expect(asked).toHaveLength(1);
    expect(JSON.parse(String(asked[0].init.body))).toEqual({
      component: 'ml_studio',
      elements: ['experiment:1', 'experiment:2', 'project:default'],
      operations: ['edit', 'manage', 'create'],
    });
  });

  it('does not ask for an admin, who may do everything', async () => {
    saveSession({ token: 't', user: { ...bob, is_admin: true } });
    const { calls } = mockFetch();
    renderWithProviders(<Probe elements={['experiment:1']} ask={[['manage', 'experiment:1']]} />);
    expect(screen.getByTestId('probe').textContent).toBe('manage:experiment:1=true');
    expect(calls).toHaveLength(0);
  });

  it('hides controls until the answer comes, and shows them if the question fails (the server decides)', async () => {
    saveSession({ token: 't', user: bob });
    let answer: (r: Response) => void = () => {};
    mockFetch((url) => (url.pathname === '/api/authorize/batch' ? new Promise<Response>((r) => (answer = r)) : undefined));
    renderWithProviders(<Probe elements={['experiment:1']} ask={[['edit', 'experiment:1']]} />);
    expect(screen.getByTestId('probe').textContent).toBe('loading');
    answer(json({ error: 'the authorization service is unavailable' }, 503));
    await waitFor(() => expect(screen.getByTestId('probe').textContent).toBe('edit:experiment:1=true'));
  });
});
