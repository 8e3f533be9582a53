import { describe, expect, it } from 'vitest';
import { diffStats, foldUnchanged, lineDiff, splitLines, type DiffLine } from './lineDiff';

/** A diff as "  same", "- removed", "+ added" lines. */
const show = (lines: readonly DiffLine[]) => lines.map((l) => `${l.kind === 'add' ? '+' : l.kind === 'del' ? '-' : ' '} ${l.text}`);

describe('splitLines', () => {
  it.each<[string, string[]]>([
    ['', []],
    ['a', ['a']],
    ['a\n', ['a']],
    ['a\nb', ['a', 'b']],
    ['a\r\nb\rc', ['a', 'b', 'c']],
    ['a\n\nb', ['a', '', 'b']],
    ['\n', ['']],
  ])('%j → %j', (s, want) => {
    expect(splitLines(s)).toEqual(want);
  });
});

describe('lineDiff', () => {
  it.each([
    { what: 'identical texts', a: 'x\ny', b: 'x\ny', want: ['  x', '  y'] },
    { what: 'both empty', a: '', b: '', want: [] },
    { what: 'from nothing', a: '', b: 'x\ny', want: ['+ x', '+ y'] },
    { what: 'to nothing', a: 'x\ny', b: '', want: ['- x', '- y'] },
    { what: 'a changed line: removed first, then added', a: 'a\nb\nc', b: 'a\nB\nc', want: ['  a', '- b', '+ B', '  c'] },
    { what: 'a line added in the middle', a: 'a\nc', b: 'a\nb\nc', want: ['  a', '+ b', '  c'] },
    { what: 'a line removed at the start', a: 'a\nb\nc', b: 'b\nc', want: ['- a', '  b', '  c'] },
    { what: 'a line added at the end', a: 'a', b: 'a\nb', want: ['  a', '+ b'] },
    { what: 'lines moved: the longest common run stays', a: 'a\nb\nc\nd', b: 'c\nd\na\nb', want: ['- a', '- b', '  c', '  d', '+ a', '+ b'] },
    {
      what: 'a prompt rewritten around kept lines',
      a: 'You are a helpful assistant.\nAnswer: {{question}}\nBe brief.',
      b: 'You are a careful assistant.\nUse the context: {{context}}\nAnswer: {{question}}\nBe brief.\nCite sources.',
      want: ['- You are a helpful assistant.', '+ You are a careful assistant.', '+ Use the context: {{context}}', '  Answer: {{question}}', '  Be brief.', '+ Cite sources.'],
    },
    { what: 'a final newline changes nothing', a: 'a\nb\n', b: 'a\nb', want: ['  a', '  b'] },
    { what: 'whitespace counts', a: 'a ', b: 'a', want: ['- a ', '+ a'] },
  ])('$what', ({ a, b, want }) => {
    expect(show(lineDiff(a, b))).toEqual(want);
  });

  it('numbers lines in the old and the new text', () => {
    expect(lineDiff('a\nb\nc', 'a\nB\nc\nd')).toEqual([
      { kind: 'same', text: 'a', a: 1, b: 1 },
      { kind: 'del', text: 'b', a: 2 },
      { kind: 'add', text: 'B', b: 2 },
      { kind: 'same', text: 'c', a: 3, b: 3 },
      { kind: 'add', text: 'd', b: 4 },
    ]);
  });

  it('keeps every line of both texts, in order', () => {
    const a = Array.from({ length: 60 }, (_, i) => `line ${i % 7}`).join('\n');
    const b = Array.from({ length: 50 }, (_, i) => `line ${(i * 3) % 11}`).join('\n');
    const d = lineDiff(a, b);
    expect(d.filter((l) => l.kind !== 'add').map((l) => l.text)).toEqual(splitLines(a));
    expect(d.filter((l) => l.kind !== 'del').map((l) => l.text)).toEqual(splitLines(b));
    expect(d.filter((l) => l.kind !== 'add').map((l) => l.a)).toEqual(splitLines(a).map((_, i) => i + 1));
  });

  it('counts added and removed lines', () => {
    expect(diffStats(lineDiff('a\nb\nc', 'a\nB\nc\nd'))).toEqual({ added: 2, removed: 1 });
    expect(diffStats(lineDiff('same', 'same'))).toEqual({ added: 0, removed: 0 });
  });
});

describe('foldUnchanged', () => {
  const lines = (n: number, from = 1) => Array.from({ length: n }, (_, i) => `l${i + from}`).join('\n');
  const folded = (a: string, b: string, context = 1) =>
    foldUnchanged(lineDiff(a, b), context).map((x) => (x.kind === 'skip' ? `… ${x.count}` : `${x.kind === 'add' ? '+' : x.kind === 'del' ? '-' : ' '} ${x.text}`));

  it.each([
    { what: 'a change in the middle keeps one line of context each side', a: lines(9), b: lines(9).replace('l5', 'L5'), want: ['… 3', '  l4', '- l5', '+ L5', '  l6', '… 3'] },
    { what: 'a change at the start', a: lines(6), b: lines(6).replace('l1', 'L1'), want: ['- l1', '+ L1', '  l2', '… 4'] },
    { what: 'a single hidden line is shown instead', a: lines(3), b: lines(3).replace('l3', 'L3'), want: ['  l1', '  l2', '- l3', '+ L3'] },
    { what: 'two changes close together share their context', a: lines(5), b: lines(5).replace('l2', 'L2').replace('l4', 'L4'), want: ['  l1', '- l2', '+ L2', '  l3', '- l4', '+ L4', '  l5'] },
  ])('$what', ({ a, b, want }) => {
    expect(folded(a, b)).toEqual(want);
  });
});
