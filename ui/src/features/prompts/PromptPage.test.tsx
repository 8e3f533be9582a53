import { afterEach, describe, expect, it, vi } from 'vitest';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router';
import { saveSession } from '../../api/session';
import type { ModelVersion } from '../../api/types';
import { json, mockFetch, renderWithProviders } from '../../test/utils';
import PromptPage from './PromptPage';
import PromptsPage from './PromptsPage';

afterEach(() => vi.unstubAllGlobals());

const admin = { id: 1, username: 'admin', display_name: '', email: '', is_active: true, is_admin: true };

const version = (n: number, text: string, description: string): ModelVersion => ({
  name: 'support-answer',
  version: String(n),
  creation_timestamp: 1_764_748_800_000 + n,
  description,
  tags: [
    { key: 'mlflow.prompt.is_prompt', value: 'true' },
    { key: 'mlflow.prompt.text', value: text },
    { key: '_mlflow_prompt_type', value: 'text' },
  ],
});

const V1 = 'You are a support agent.\nAnswer: {{question}}\nBe brief.';
const V2 = 'You are a careful support agent.\nAnswer: {{question}}\nBe brief.\nCite {{source}}.';
const V3 = V2;

function server() {
  return mockFetch((url) => {
    if (url.pathname === '/api/2.0/mlflow/registered-models/get')
      return json({
        registered_model: {
          name: 'support-answer',
          description: 'Answers support tickets',
          tags: [
            { key: 'mlflow.prompt.is_prompt', value: 'true' },
            { key: 'team', value: 'support' },
          ],
          aliases: [{ alias: 'production', version: '2' }],
        },
      });
    if (url.pathname === '/api/2.0/mlflow/model-versions/search')
      return json({ model_versions: [version(1, V1, 'first cut'), version(3, V3, 'same text'), version(2, V2, 'cite sources')] });
    if (url.pathname === '/api/2.0/mlflow/registered-models/search')
      return json({ registered_models: [{ name: 'support-answer', latest_versions: [{ name: 'support-answer', version: '3' }], aliases: [{ alias: 'production', version: '2' }] }] });
    return undefined;
  });
}

describe('prompt page', () => {
  it('lists versions newest first with their template, and diffs two of them', async () => {
    saveSession({ token: 't', user: admin });
    const { calls } = server();
    const user = userEvent.setup();
    renderWithProviders(
      <Routes>
        <Route path="/prompts/:name" element={<PromptPage />} />
      </Routes>,
      '/prompts/support-answer',
    );
    const table = await screen.findByRole('table', { name: 'Prompt versions' });
    await within(table).findByText('cite sources');
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => within(r).getAllByRole('cell')[0].textContent)).toEqual(['v3', 'v2', 'v1']);
    expect(within(rows[1]).getByText('@production')).toBeTruthy();
    const search = calls.find((c) => c.url.pathname === '/api/2.0/mlflow/model-versions/search')!;
    expect(search.url.searchParams.get('filter')).toBe("name = 'support-answer' AND tags.`mlflow.prompt.is_prompt` = 'true'");

    // The newest version's template, then another one's.
    expect(screen.getByLabelText('Template of version 3').textContent).toBe(V3);
    await user.click(screen.getByRole('button', { name: 'Show version 1' }));
    expect(screen.getByLabelText('Template of version 1').textContent).toBe(V1);
    expect(screen.getByText('{{question}}')).toBeTruthy();

    // v2 → v3 is no change; v1 → v2 is.
    expect(screen.getByText('The two templates are identical.')).toBeTruthy();
    await user.selectOptions(screen.getByLabelText('Compare from version'), '1');
    await user.selectOptions(screen.getByLabelText('Compare to version'), '2');
    const diff = screen.getByRole('table', { name: 'Template changes from version 1 to 2' });
    const kinds = within(diff)
      .getAllByRole('row')
      .map((r) => `${r.getAttribute('data-kind')}:${r.querySelector('.diff-text')?.textContent}`);
    expect(kinds).toEqual([
      'del:You are a support agent.',
      'add:You are a careful support agent.',
      'same:Answer: {{question}}',
      'same:Be brief.',
      'add:Cite {{source}}.',
    ]);
    expect(screen.getByTestId('diff-stats').textContent).toBe('+2 −1 lines');
    await user.click(screen.getByRole('button', { name: 'Swap' }));
    expect(screen.getByRole('table', { name: 'Template changes from version 2 to 1' })).toBeTruthy();
    // An admin may set aliases; the prompt's own tags show, MLflow's do not.
    expect(screen.getByRole('button', { name: 'Set alias' })).toBeTruthy();
    expect(within(screen.getByRole('list', { name: 'Prompt tags' })).getByText('team')).toBeTruthy();
    expect(screen.queryByText('mlflow.prompt.is_prompt')).toBeNull();
  });

  it('lists only prompts: the search names the prompt tag', async () => {
    saveSession({ token: 't', user: admin });
    const { calls } = server();
    renderWithProviders(<PromptsPage />);
    const link = await screen.findByRole('link', { name: 'support-answer' });
    expect(link.getAttribute('href')).toBe('/prompts/support-answer');
    expect(within(link.closest('tr')!).getByText('Version 3')).toBeTruthy();
    expect(within(link.closest('tr')!).getByText('@production → v2')).toBeTruthy();
    expect(calls[0].url.searchParams.get('filter')).toBe("tags.`mlflow.prompt.is_prompt` = 'true'");
  });
});
