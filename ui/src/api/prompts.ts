import { request } from './client';
import type { ModelVersion, RegisteredModel } from './types';

// Prompts are registered models tagged mlflow.prompt.is_prompt = true, and
// their versions model versions holding the template in mlflow.prompt.text.
// MLflow leaves prompts out of model searches unless the filter asks for
// the tag, so every search here names it.

const REG = '/api/2.0/mlflow/registered-models';
const VERSIONS = '/api/2.0/mlflow/model-versions';

export const IS_PROMPT_TAG = 'mlflow.prompt.is_prompt';
export const PROMPT_TEXT_TAG = 'mlflow.prompt.text';
export const PROMPT_TYPE_TAG = '_mlflow_prompt_type';

/** A single-quoted MLflow filter string. */
export function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export const PROMPT_FILTER = `tags.\`${IS_PROMPT_TAG}\` = 'true'`;

/** The filter of the prompts whose name contains `search` (all prompts when blank). */
export function promptFilter(search = ''): string {
  const t = search.trim();
  return t ? `${PROMPT_FILTER} AND name LIKE ${quote(`%${t}%`)}` : PROMPT_FILTER;
}

export const prompts = {
  search: (p: { search?: string; max_results?: number; page_token?: string }) =>
    request<{ registered_models?: RegisteredModel[]; next_page_token?: string }>(`${REG}/search`, {
      query: { filter: promptFilter(p.search), order_by: ['name ASC'], max_results: p.max_results, page_token: p.page_token },
    }),
  get: (name: string) => request<{ registered_model: RegisteredModel }>(`${REG}/get`, { query: { name } }),
  /** Every version of a prompt (following page tokens). */
  versions: async (name: string): Promise<ModelVersion[]> => {
    const out: ModelVersion[] = [];
    let token: string | undefined;
    for (let i = 0; i < 50; i++) {
      const page = await request<{ model_versions?: ModelVersion[]; next_page_token?: string }>(`${VERSIONS}/search`, {
        query: { filter: `name = ${quote(name)} AND ${PROMPT_FILTER}`, max_results: 200, page_token: token },
      });
      out.push(...(page.model_versions ?? []));
      token = page.next_page_token;
      if (!token) break;
    }
    return out;
  },
  setAlias: (name: string, alias: string, version: string) => request(`${REG}/alias`, { method: 'POST', body: { name, alias, version } }),
  deleteAlias: (name: string, alias: string) => request(`${REG}/alias`, { method: 'DELETE', body: { name, alias } }),
};
