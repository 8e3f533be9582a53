export type PreviewKind = 'image' | 'json' | 'csv' | 'mlmodel' | 'html' | 'text' | 'none';

const IMAGE = ['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'bmp'];
const TEXT = ['txt', 'log', 'md', 'py', 'yaml', 'yml', 'toml', 'cfg', 'ini', 'sh', 'sql', 'xml', 'r', 'js', 'ts', 'conda', 'requirements', 'in', 'properties', 'jsonl', 'ipynb'];
export const MAX_PREVIEW_BYTES = 5 * 1024 * 1024;

/** Which preview a file gets, from its name (and size: very large files are only downloaded). */
export function previewKind(path: string, size?: number): PreviewKind {
  const name = path.split('/').pop() ?? path;
  if (size !== undefined && size > MAX_PREVIEW_BYTES) return 'none';
  if (name === 'MLmodel') return 'mlmodel';
  const dot = name.lastIndexOf('.');
  const ext = dot >= 0 ? name.slice(dot + 1).toLowerCase() : '';
  if (IMAGE.includes(ext)) return 'image';
  if (ext === 'json') return 'json';
  if (ext === 'html' || ext === 'htm') return 'html';
  if (ext === 'csv' || ext === 'tsv') return 'csv';
  if (TEXT.includes(ext) || ['requirements.txt', 'LICENSE', 'README', 'Dockerfile', 'conda.yaml', 'python_env.yaml'].includes(name)) return 'text';
  if (ext === '') return 'text';
  return 'none';
}

/** A small CSV parser (quotes, escaped quotes, commas or tabs). */
export function parseCsv(text: string, sep = ',', maxRows = 1000): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else cell += ch;
      continue;
    }
    if (ch === '"') quoted = true;
    else if (ch === sep) {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      if (rows.length >= maxRows) return rows;
    } else cell += ch;
  }
  if (cell !== '' || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

export type YamlValue = string | YamlValue[] | { [k: string]: YamlValue };

/** Enough YAML for MLmodel files: nested maps by indentation, "- " lists, scalars. */
export function parseSimpleYaml(text: string): { [k: string]: YamlValue } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() && !l.trim().startsWith('#'));
  let i = 0;
  const indentOf = (l: string) => l.length - l.trimStart().length;
  const scalar = (s: string) => s.trim().replace(/^['"]|['"]$/g, '');
  function block(indent: number): YamlValue {
    if (i < lines.length && lines[i].trimStart().startsWith('- ') && indentOf(lines[i]) >= indent) {
      const list: YamlValue[] = [];
      const ind = indentOf(lines[i]);
      while (i < lines.length && indentOf(lines[i]) === ind && lines[i].trimStart().startsWith('- ')) {
        list.push(scalar(lines[i].trimStart().slice(2)));
        i++;
        while (i < lines.length && indentOf(lines[i]) > ind) i++; // nested list items: kept short
      }
      return list;
    }
    const obj: { [k: string]: YamlValue } = {};
    const ind = i < lines.length ? indentOf(lines[i]) : indent;
    if (ind < indent) return obj;
    while (i < lines.length && indentOf(lines[i]) === ind) {
      const line = lines[i].trim();
      const c = line.indexOf(':');
      if (c < 0) {
        i++;
        continue;
      }
      const key = line.slice(0, c).trim();
      const rest = line.slice(c + 1).trim();
      i++;
      if (rest === '' || rest === '|' || rest === '>') {
        if (i < lines.length && indentOf(lines[i]) > ind) obj[key] = rest ? collectText(ind) : block(ind + 1);
        else obj[key] = '';
      } else obj[key] = scalar(rest);
    }
    return obj;
  }
  function collectText(ind: number): string {
    const out: string[] = [];
    while (i < lines.length && indentOf(lines[i]) > ind) out.push(lines[i++].trim());
    return out.join('\n');
  }
  const v = block(0);
  return typeof v === 'object' && !Array.isArray(v) ? v : {};
}

/** A table as MLflow's log_table stores it (pandas "split": columns and rows, perhaps an index). */
export interface LoggedTable {
  columns: string[];
  rows: unknown[][];
}

/** The table in a parsed JSON artifact written by mlflow.log_table, or null when it is some other JSON. */
export function asLoggedTable(v: unknown): LoggedTable | null {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
  const { columns, data } = v as { columns?: unknown; data?: unknown };
  if (!Array.isArray(columns) || !Array.isArray(data) || !data.every(Array.isArray)) return null;
  if (!columns.every((c) => typeof c === 'string' || typeof c === 'number')) return null;
  if (data.some((r) => (r as unknown[]).length !== columns.length)) return null;
  return { columns: columns.map(String), rows: data as unknown[][] };
}

/** A table cell as text: strings as they are, anything else as JSON. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * The srcdoc of an HTML artifact's frame. The frame is sandboxed (an opaque
 * origin: it cannot reach the app's storage or session); when its scripts are
 * allowed, a CSP in front of the page also forbids it to call out with
 * fetch/XHR or submit forms, so what is typed into it stays there.
 */
export function htmlSrcDoc(html: string, scripts: boolean): string {
  if (!scripts) return html;
  return `<meta http-equiv="Content-Security-Policy" content="connect-src 'none'; form-action 'none'">` + html;
}

/** The frame's sandbox: never same-origin; scripts only when the reader asked for them. */
export function htmlSandbox(scripts: boolean): string {
  return scripts ? 'allow-scripts' : '';
}
