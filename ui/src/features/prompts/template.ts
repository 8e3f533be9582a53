import { PROMPT_TEXT_TAG, PROMPT_TYPE_TAG } from '../../api/prompts';
import type { ModelVersion, RegisteredModel, Tag } from '../../api/types';

export function tagValue(tags: readonly Tag[] | undefined, key: string): string | undefined {
  return tags?.find((t) => t.key === key)?.value;
}

/**
 * A version's template as text to read and compare: a text prompt as it
 * is; a chat prompt (a JSON list of {role, content}) as one "[role]" line
 * before each message's content, messages apart by a blank line.
 */
export function templateText(v: Pick<ModelVersion, 'tags'>): string {
  const raw = tagValue(v.tags, PROMPT_TEXT_TAG) ?? '';
  if (tagValue(v.tags, PROMPT_TYPE_TAG) !== 'chat') return raw;
  try {
    const msgs = JSON.parse(raw) as unknown;
    if (!Array.isArray(msgs)) return raw;
    return msgs
      .map((m) => {
        const { role, content } = (m ?? {}) as { role?: unknown; content?: unknown };
        return `[${typeof role === 'string' ? role : '?'}]\n${typeof content === 'string' ? content : JSON.stringify(content, null, 2)}`;
      })
      .join('\n\n');
  } catch {
    return raw;
  }
}

/** The {{variables}} a template fills in, each once, in order. */
export function templateVariables(text: string): string[] {
  const seen = new Set<string>();
  for (const m of text.matchAll(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*(?:\.[a-zA-Z_][a-zA-Z0-9_]*)*)\s*\}\}/g)) seen.add(m[1]);
  return [...seen];
}

/** A prompt's versions, newest first. */
export function newestFirst(vs: readonly ModelVersion[]): ModelVersion[] {
  return [...vs].sort((a, b) => Number(b.version) - Number(a.version));
}

/** The highest version number MLflow lists for a prompt, or null. */
export function latestVersion(m: RegisteredModel): string | null {
  const n = (m.latest_versions ?? []).reduce((a, v) => Math.max(a, Number(v.version) || 0), 0);
  return n ? String(n) : null;
}

/** The prompt's own tags: MLflow's bookkeeping (mlflow.*, _mlflow_*) is left out. */
export function ownTags(tags: readonly Tag[] | undefined): Tag[] {
  return (tags ?? []).filter((t) => !t.key.startsWith('mlflow.') && !t.key.startsWith('_mlflow'));
}
