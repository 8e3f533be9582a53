import { useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import type { Group } from '../api/types';
import { json, mockFetch } from '../test/utils';
import { GroupPicker, matchGroups, PeoplePicker, SubjectPicker, type SubjectKind } from './pickers';

const PEOPLE = [
  { username: 'alice', display_name: 'Alice Martin' },
  { username: 'alina', display_name: '' },
  { username: 'bob', display_name: 'Bob Chen' },
];

const group = (name: string, description = ''): Group => ({ id: name.length, name, description, created_at: '' });
const GROUPS = [group('ml-platform', 'Runs the cluster'), group('ds', 'Data science'), group('analytics', 'BI and dashboards')];

/** A directory that answers like cerberus: username prefix or display-name substring, ASCII case ignored. */
function directory(url: URL) {
  if (url.pathname !== '/api/directory/users') return undefined;
  const q = (url.searchParams.get('q') ?? '').trim().toLowerCase();
  if (!q) return json({ error: 'q is required' }, 400);
  return json({ items: PEOPLE.filter((p) => p.username.startsWith(q) || p.display_name.toLowerCase().includes(q)) });
}

function groupsApi(url: URL) {
  if (url.pathname === '/api/groups') return json({ items: GROUPS, total: GROUPS.length, limit: 200, offset: 0 });
  return undefined;
}

function withClient(node: React.ReactNode) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(<QueryClientProvider client={qc}>{node}</QueryClientProvider>);
}

function People({ onPick }: { onPick?: (u: string) => void }) {
  const [v, setV] = useState('');
  return <PeoplePicker label="Username" value={v} onChange={setV} onPick={(p) => onPick?.(p.username)} />;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('PeoplePicker', () => {
  it.each([
    { typed: 'ali', shown: ['Alice Martin alice', 'alina alina'] },
    { typed: 'CHEN', shown: ['Bob Chen bob'] },
    { typed: 'martin', shown: ['Alice Martin alice'] },
  ])('“$typed” lists $shown', async ({ typed, shown }) => {
    const { calls } = mockFetch(directory);
    const user = userEvent.setup();
    withClient(<People />);
    await user.type(screen.getByRole('combobox', { name: 'Username' }), typed);
    await waitFor(() => expect(screen.getAllByRole('option').map((o) => o.textContent)).toEqual(shown));
    // One debounced call for the whole word, with the limit.
    const asked = calls.filter((c) => c.url.pathname === '/api/directory/users');
    expect(asked.map((c) => [c.url.searchParams.get('q'), c.url.searchParams.get('limit')])).toEqual([[typed, '10']]);
  });

  it('picking a person puts the username in the box', async () => {
    mockFetch(directory);
    const user = userEvent.setup();
    const onPick = vi.fn();
    withClient(<People onPick={onPick} />);
    const box = screen.getByRole('combobox', { name: 'Username' });
    await user.type(box, 'bob c');
    await user.click(await screen.findByRole('option', { name: /Bob Chen/ }));
    expect((box as HTMLInputElement).value).toBe('bob');
    expect(onPick).toHaveBeenCalledWith('bob');
  });

  it.each([
    { status: 200, body: { items: [] }, role: 'status', text: 'No one found' },
    { status: 500, body: { error: 'directory is down' }, role: 'alert', text: 'directory is down' },
    { status: 403, body: { error: 'nope' }, role: 'alert', text: 'access' },
  ])('answer $status shows “$text”', async ({ status, body, role, text }) => {
    mockFetch((url) => (url.pathname === '/api/directory/users' ? json(body, status) : undefined));
    const user = userEvent.setup();
    withClient(<People />);
    await user.type(screen.getByRole('combobox', { name: 'Username' }), 'zed');
    await waitFor(() => expect(screen.getByRole(role).textContent).toContain(text));
    expect(screen.queryAllByRole('option')).toHaveLength(0);
  });
});

describe('matchGroups', () => {
  it.each([
    { q: '', names: ['analytics', 'ds', 'ml-platform'] },
    { q: 'DS', names: ['ds', 'analytics'] },
    { q: 'a', names: ['analytics', 'ml-platform', 'ds'] },
    { q: 'cluster', names: ['ml-platform'] },
    { q: 'nobody', names: [] },
  ])('“$q” → $names', ({ q, names }) => {
    expect(matchGroups(GROUPS, q).map((g) => g.name)).toEqual(names);
  });
});

describe('GroupPicker', () => {
  it('ArrowDown on the empty box lists every group; typing narrows; Enter picks', async () => {
    const { calls } = mockFetch(groupsApi);
    const user = userEvent.setup();
    function G() {
      const [v, setV] = useState('');
      return <GroupPicker label="Group name" value={v} onChange={setV} />;
    }
    withClient(<G />);
    const box = screen.getByRole('combobox', { name: 'Group name' });
    await user.click(box);
    await user.keyboard('{ArrowDown}');
    await waitFor(() => expect(screen.getAllByRole('option')).toHaveLength(3));
    await user.type(box, 'science');
    await waitFor(() => expect(screen.getAllByRole('option').map((o) => o.textContent)).toEqual(['ds Data science']));
    await user.keyboard('{ArrowDown}{Enter}');
    expect((box as HTMLInputElement).value).toBe('ds');
    // The list is fetched once and shared.
    expect(calls.filter((c) => c.url.pathname === '/api/groups')).toHaveLength(1);
  });
});

describe('SubjectPicker', () => {
  it('switches between the people and the group picker and empties the name', async () => {
    mockFetch(directory, groupsApi);
    const user = userEvent.setup();
    function S() {
      const [kind, setKind] = useState<SubjectKind>('user');
      const [v, setV] = useState('');
      return <SubjectPicker kind={kind} onKindChange={setKind} value={v} onChange={setV} />;
    }
    withClient(<S />);
    await user.type(screen.getByRole('combobox', { name: 'Username' }), 'ali');
    await screen.findByRole('option', { name: /Alice Martin/ });
    await user.selectOptions(screen.getByLabelText('Grant to'), 'group');
    const box = screen.getByRole('combobox', { name: 'Group name' }) as HTMLInputElement;
    expect(box.value).toBe('');
    expect(screen.queryByRole('combobox', { name: 'Username' })).toBeNull();
    await user.type(box, 'ml');
    await screen.findByRole('option', { name: /ml-platform/ });
  });
});
