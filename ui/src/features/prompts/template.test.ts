import { describe, expect, it } from 'vitest';
import { promptFilter, quote } from '../../api/prompts';
import type { Tag } from '../../api/types';
import { latestVersion, newestFirst, ownTags, templateText, templateVariables } from './template';

const v = (tags: Tag[]) => ({ tags });

describe('prompt templates', () => {
  it.each([
    { what: 'a text prompt as it is', tags: [{ key: 'mlflow.prompt.text', value: 'Answer {{q}}\nBriefly.' }, { key: '_mlflow_prompt_type', value: 'text' }], want: 'Answer {{q}}\nBriefly.' },
    { what: 'a text prompt without a type tag', tags: [{ key: 'mlflow.prompt.text', value: 'Hi {{name}}' }], want: 'Hi {{name}}' },
    {
      what: 'a chat prompt as one block per message',
      tags: [
        { key: 'mlflow.prompt.text', value: JSON.stringify([{ role: 'system', content: 'Be kind.' }, { role: 'user', content: 'Hi {{name}}\nThanks' }]) },
        { key: '_mlflow_prompt_type', value: 'chat' },
      ],
      want: '[system]\nBe kind.\n\n[user]\nHi {{name}}\nThanks',
    },
    { what: 'a chat prompt that is not JSON as it is', tags: [{ key: 'mlflow.prompt.text', value: 'oops' }, { key: '_mlflow_prompt_type', value: 'chat' }], want: 'oops' },
    { what: 'no template', tags: [], want: '' },
  ])('$what', ({ tags, want }) => {
    expect(templateText(v(tags))).toBe(want);
  });

  it.each<[string, string[]]>([
    ['Hi {{name}}, {{ name }} asked {{question}} about {{doc.title}}', ['name', 'question', 'doc.title']],
    ['no variables {single} {{ 1bad }}', []],
  ])('variables of %j', (text, want) => {
    expect(templateVariables(text)).toEqual(want);
  });

  it('orders versions newest first, by number', () => {
    expect(newestFirst([{ name: 'p', version: '2' }, { name: 'p', version: '10' }, { name: 'p', version: '1' }]).map((x) => x.version)).toEqual(['10', '2', '1']);
  });

  it('finds the latest version and the prompt’s own tags', () => {
    expect(latestVersion({ name: 'p', latest_versions: [{ name: 'p', version: '3' }, { name: 'p', version: '12' }] })).toBe('12');
    expect(latestVersion({ name: 'p' })).toBeNull();
    expect(ownTags([{ key: 'mlflow.prompt.is_prompt', value: 'true' }, { key: '_mlflow_experiment_ids', value: ',1,' }, { key: 'team', value: 'support' }])).toEqual([{ key: 'team', value: 'support' }]);
  });
});

describe('prompt search filter', () => {
  it.each([
    ['', "tags.`mlflow.prompt.is_prompt` = 'true'"],
    ['  support ', "tags.`mlflow.prompt.is_prompt` = 'true' AND name LIKE '%support%'"],
    ["it's", "tags.`mlflow.prompt.is_prompt` = 'true' AND name LIKE '%it\\'s%'"],
  ])('%j → %s', (search, want) => {
    expect(promptFilter(search)).toBe(want);
  });

  it('quotes backslashes and quotes', () => {
    expect(quote("a\\b'c")).toBe("'a\\\\b\\'c'");
  });
});
