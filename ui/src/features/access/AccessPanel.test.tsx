import { describe, expect, it } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { saveSession } from '../../api/session';
import { json, mockFetch, myAccessServer, renderWithProviders } from '../../test/utils';
import { AccessPanel } from './AccessPanel';

const alice = { id: 2, username: 'alice', display_name: 'Alice Martin', email: '', is_active: true, is_admin: false };

function server() {
  return mockFetch(myAccessServer({ 'experiment:7': ['edit', 'manage'] }), (url, init) => {
    if (url.pathname === '/api/elements/access')
      return json({ element: 'experiment:7', grants: [{ subject: 'user:alice', element: 'experiment:7', operation: 'manage', effect: 'allow', inherited: false, granted_at: '' }] });
    if (url.pathname === '/api/directory/users') return json({ items: [{ username: 'bob', display_name: 'Bob Chen' }] });
    if (url.pathname === '/api/groups') return json({ items: [{ id: 1, name: 'ds', description: 'Data science', created_at: '' }], total: 1, limit: 200, offset: 0 });
    if (url.pathname === '/api/grants' && init.method === 'POST') return json({}, 201);
    return undefined;
  });
}

describe('AccessPanel grant form', () => {
  it.each([
    { kind: 'user', label: 'Username', typed: 'chen', option: /Bob Chen/, body: { user: 'bob' } },
    { kind: 'group', label: 'Group name', typed: 'scie', option: /ds/, body: { group: 'ds' } },
  ])('a manager picks a $kind from the suggestions and grants read', async ({ kind, label, typed, option, body }) => {
    saveSession({ token: 't', user: alice });
    const { calls } = server();
    const user = userEvent.setup();
    renderWithProviders(<AccessPanel element="experiment:7" />);
    await screen.findByRole('form', { name: 'Grant access' });
    if (kind === 'group') await user.selectOptions(screen.getByLabelText('Grant to'), 'group');
    await user.type(screen.getByRole('combobox', { name: label }), typed);
    await user.click(await screen.findByRole('option', { name: option }));
    await user.click(screen.getByRole('button', { name: 'Grant' }));
    await waitFor(() => expect(calls.some((c) => c.url.pathname === '/api/grants')).toBe(true));
    const sent = calls.find((c) => c.url.pathname === '/api/grants');
    expect(JSON.parse(String(sent?.init.body))).toEqual({ element: 'experiment:7', effect: 'allow', operation: 'read', ...body });
  });
});
