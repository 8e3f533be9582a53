// A line diff of two texts (prompt templates): the longest common
// subsequence of their lines, the rest removed from the first or added in
// the second; in a changed stretch the removed lines come first.

export interface DiffLine {
  kind: 'same' | 'add' | 'del';
  text: string;
  /** 1-based line number in the old text (same, del). */
  a?: number;
  /** 1-based line number in the new text (same, add). */
  b?: number;
}

export type DiffItem = DiffLine | { kind: 'skip'; count: number };

/** Beyond this many line pairs the middle is shown as removed, then added: right, if not the shortest. */
const MAX_CELLS = 4_000_000;

/** The lines of a text; a final newline does not start another line, and "" has none. */
export function splitLines(s: string): string[] {
  if (!s) return [];
  const lines = s.split(/\r\n|\n|\r/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function lineDiff(oldText: string, newText: string): DiffLine[] {
  const a = splitLines(oldText);
  const b = splitLines(newText);
  // The common head and tail need no table.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const out: DiffLine[] = [];
  for (let i = 0; i < head; i++) out.push({ kind: 'same', text: a[i], a: i + 1, b: i + 1 });

  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);
  const n = am.length;
  const m = bm.length;
  if (n * m > MAX_CELLS) {
    am.forEach((text, i) => out.push({ kind: 'del', text, a: head + i + 1 }));
    bm.forEach((text, j) => out.push({ kind: 'add', text, b: head + j + 1 }));
  } else if (n > 0 || m > 0) {
    // lcs[i * (m + 1) + j]: the common subsequence's length of am[i..] and bm[j..].
    const lcs = new Uint32Array((n + 1) * (m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * (m + 1) + j] = am[i] === bm[j] ? lcs[(i + 1) * (m + 1) + j + 1] + 1 : Math.max(lcs[(i + 1) * (m + 1) + j], lcs[i * (m + 1) + j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && am[i] === bm[j]) {
        out.push({ kind: 'same', text: am[i], a: head + i + 1, b: head + j + 1 });
        i++;
        j++;
      } else if (j >= m || (i < n && lcs[(i + 1) * (m + 1) + j] >= lcs[i * (m + 1) + j + 1])) {
        out.push({ kind: 'del', text: am[i], a: head + i + 1 });
        i++;
      } else {
        out.push({ kind: 'add', text: bm[j], b: head + j + 1 });
        j++;
      }
    }
  }
  for (let k = tail; k > 0; k--) {
    const ai = a.length - k;
    const bi = b.length - k;
    out.push({ kind: 'same', text: a[ai], a: ai + 1, b: bi + 1 });
  }
  return out;
}

export function diffStats(lines: readonly DiffLine[]): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const l of lines) {
    if (l.kind === 'add') added++;
    else if (l.kind === 'del') removed++;
  }
  return { added, removed };
}

/**
 * The diff with long unchanged stretches folded: `context` unchanged lines
 * stay next to each change, the rest of a stretch becomes one skip (only
 * when it hides at least two lines).
 */
export function foldUnchanged(lines: readonly DiffLine[], context = 3): DiffItem[] {
  const out: DiffItem[] = [];
  let i = 0;
  while (i < lines.length) {
    if (lines[i].kind !== 'same') {
      out.push(lines[i++]);
      continue;
    }
    let j = i;
    while (j < lines.length && lines[j].kind === 'same') j++;
    const keepBefore = i === 0 ? 0 : context; // after a change
    const keepAfter = j === lines.length ? 0 : context; // before a change
    const hidden = j - i - keepBefore - keepAfter;
    if (hidden >= 2) {
      out.push(...lines.slice(i, i + keepBefore), { kind: 'skip', count: hidden }, ...lines.slice(j - keepAfter, j));
    } else {
      out.push(...lines.slice(i, j));
    }
    i = j;
  }
  return out;
}
