import { describe, it, expect } from 'vitest';
import { Scanner, Tok } from './scanner.js';

const names: Record<number, string> = {
  [Tok.EOF]: 'EOF',
  [Tok.Quoted]: 'Quoted',
  [Tok.Value]: 'Value',
  [Tok.Field]: 'Field',
  [Tok.Separator]: 'Separator',
  [Tok.Operator]: 'Operator',
  [Tok.Illegal]: 'Illegal',
};

type Step = [pos: number, tok: string, text?: string, err?: string];

function scanAll(input: string): Step[] {
  const s = new Scanner(input);
  const out: Step[] = [];
  for (let n = 0; n < 100; n++) {
    const { pos, tok, text } = s.scan();
    const name = names[tok] ?? String.fromCodePoint(tok);
    const step: Step = [pos, name];
    if (text !== '' || tok === Tok.Illegal) step.push(text);
    if (tok === Tok.Illegal) step.push(s.err);
    out.push(step);
    if (tok === Tok.EOF) break;
  }
  // Once at the end, the scanner stays there.
  expect(s.scan().tok).toBe(Tok.EOF);
  return out;
}

// Token streams from containerd v1.6.20 filters/scanner_test.go. Positions are string indexes here; the
// two cases with a multi-byte character have smaller positions than Go's byte offsets after it.
describe('scanner', () => {
  const cases: [string, string, Step[]][] = [
    [
      'field',
      'name',
      [
        [0, 'Field', 'name'],
        [4, 'EOF'],
      ],
    ],
    [
      'selectors with operators',
      'name==value,foo!=bar',
      [
        [0, 'Field', 'name'],
        [4, 'Operator', '=='],
        [6, 'Value', 'value'],
        [11, 'Separator', ','],
        [12, 'Field', 'foo'],
        [15, 'Operator', '!='],
        [17, 'Value', 'bar'],
        [20, 'EOF'],
      ],
    ],
    [
      'selectors with field paths',
      'name==value,labels.foo=value,other.bar~=match',
      [
        [0, 'Field', 'name'],
        [4, 'Operator', '=='],
        [6, 'Value', 'value'],
        [11, 'Separator', ','],
        [12, 'Field', 'labels'],
        [18, 'Separator', '.'],
        [19, 'Field', 'foo'],
        [22, 'Operator', '='],
        [23, 'Value', 'value'],
        [28, 'Separator', ','],
        [29, 'Field', 'other'],
        [34, 'Separator', '.'],
        [35, 'Field', 'bar'],
        [38, 'Operator', '~='],
        [40, 'Value', 'match'],
        [45, 'EOF'],
      ],
    ],
    [
      'regexp value',
      'name~=[abc]+,foo=test',
      [
        [0, 'Field', 'name'],
        [4, 'Operator', '~='],
        [6, 'Value', '[abc]+'],
        [12, 'Separator', ','],
        [13, 'Field', 'foo'],
        [16, 'Operator', '='],
        [17, 'Value', 'test'],
        [21, 'EOF'],
      ],
    ],
    [
      'regexp escaped value',
      'name~=[abc]\\+,foo=test',
      [
        [0, 'Field', 'name'],
        [4, 'Operator', '~='],
        [6, 'Value', '[abc]\\+'],
        [13, 'Separator', ','],
        [14, 'Field', 'foo'],
        [17, 'Operator', '='],
        [18, 'Value', 'test'],
        [22, 'EOF'],
      ],
    ],
    [
      'regexp quoted value',
      'name~=/[abc]{0,2}/,foo=test',
      [
        [0, 'Field', 'name'],
        [4, 'Operator', '~='],
        [6, 'Quoted', '/[abc]{0,2}/'],
        [18, 'Separator', ','],
        [19, 'Field', 'foo'],
        [22, 'Operator', '='],
        [23, 'Value', 'test'],
        [27, 'EOF'],
      ],
    ],
    [
      'non-ASCII value',
      'name~=牛,labels.moo=true',
      [
        [0, 'Field', 'name'],
        [4, 'Operator', '~='],
        [6, 'Value', '牛'],
        [7, 'Separator', ','],
        [8, 'Field', 'labels'],
        [14, 'Separator', '.'],
        [15, 'Field', 'moo'],
        [18, 'Operator', '='],
        [19, 'Value', 'true'],
        [23, 'EOF'],
      ],
    ],
    [
      'non-ASCII regexp quoted',
      'name~=|牛|,labels.moo=true',
      [
        [0, 'Field', 'name'],
        [4, 'Operator', '~='],
        [6, 'Quoted', '|牛|'],
        [9, 'Separator', ','],
        [10, 'Field', 'labels'],
        [16, 'Separator', '.'],
        [17, 'Field', 'moo'],
        [20, 'Operator', '='],
        [21, 'Value', 'true'],
        [25, 'EOF'],
      ],
    ],
    [
      'escapes',
      'name~="asdf\\n\\tfooo"',
      [
        [0, 'Field', 'name'],
        [4, 'Operator', '~='],
        [6, 'Quoted', '"asdf\\n\\tfooo"'],
        [20, 'EOF'],
      ],
    ],
    [
      'NUL is illegal and scanning goes on',
      'foo\x00bar',
      [
        [0, 'Field', 'foo'],
        [3, 'Illegal', '', 'unexpected null'],
        [4, 'Field', 'bar'],
        [7, 'EOF'],
      ],
    ],
    [
      'spaces are skipped before tokens',
      'foo = bar    ',
      [
        [0, 'Field', 'foo'],
        [4, 'Operator', '='],
        [6, 'Value', 'bar'],
        [13, 'EOF'],
      ],
    ],
    [
      'punctuated values',
      'compound.labels==punctuated_value.foo-bar',
      [
        [0, 'Field', 'compound'],
        [8, 'Separator', '.'],
        [9, 'Field', 'labels'],
        [15, 'Operator', '=='],
        [17, 'Value', 'punctuated_value.foo-bar'],
        [41, 'EOF'],
      ],
    ],
    [
      'partial input',
      'interrupted=',
      [
        [0, 'Field', 'interrupted'],
        [11, 'Operator', '='],
        [12, 'EOF'],
      ],
    ],
    [
      'a second word after a value is a field',
      'doublevalue=value value',
      [
        [0, 'Field', 'doublevalue'],
        [11, 'Operator', '='],
        [12, 'Value', 'value'],
        [18, 'Field', 'value'],
        [23, 'EOF'],
      ],
    ],
    [
      'leading quoted field',
      '"leading quote".postquote==value',
      [
        [0, 'Quoted', '"leading quote"'],
        [15, 'Separator', '.'],
        [16, 'Field', 'postquote'],
        [25, 'Operator', '=='],
        [27, 'Value', 'value'],
        [32, 'EOF'],
      ],
    ],
    [
      'missing value',
      'input==,id!=ff',
      [
        [0, 'Field', 'input'],
        [5, 'Operator', '=='],
        [7, 'Separator', ','],
        [8, 'Field', 'id'],
        [10, 'Operator', '!='],
        [12, 'Value', 'ff'],
        [14, 'EOF'],
      ],
    ],
    [
      'quoted regexp with escaped slash',
      'input~=/foo\\/bar/,id!=ff',
      [
        [0, 'Field', 'input'],
        [5, 'Operator', '~='],
        [7, 'Quoted', '/foo\\/bar/'],
        [17, 'Separator', ','],
        [18, 'Field', 'id'],
        [20, 'Operator', '!='],
        [22, 'Value', 'ff'],
        [24, 'EOF'],
      ],
    ],
    [
      'pipe-quoted regexp',
      'input~=|foo/bar|,id!=ff',
      [
        [0, 'Field', 'input'],
        [5, 'Operator', '~='],
        [7, 'Quoted', '|foo/bar|'],
        [16, 'Separator', ','],
        [17, 'Field', 'id'],
        [19, 'Operator', '!='],
        [21, 'Value', 'ff'],
        [23, 'EOF'],
      ],
    ],
    [
      'a slash in a field starts a quote',
      'labels.containerd.io/key==value',
      [
        [0, 'Field', 'labels'],
        [6, 'Separator', '.'],
        [7, 'Field', 'containerd'],
        [17, 'Separator', '.'],
        [18, 'Field', 'io'],
        [20, 'Illegal', '/key==value', 'quoted literal not terminated'],
        [31, 'EOF'],
      ],
    ],
    [
      'newline inside quotes',
      'labels."containerd.io\nkey"==value',
      [
        [0, 'Field', 'labels'],
        [6, 'Separator', '.'],
        [7, 'Illegal', '"containerd.io\n', 'quoted literal not terminated'],
        [22, 'Field', 'key'],
        [25, 'Illegal', '"==value', 'quoted literal not terminated'],
        [33, 'EOF'],
      ],
    ],
    [
      'illegal escape',
      'labels."\\g"',
      [
        [0, 'Field', 'labels'],
        [6, 'Separator', '.'],
        [7, 'Illegal', '"\\g"', 'illegal escape sequence'],
        [11, 'EOF'],
      ],
    ],
    [
      'illegal numeric escape',
      'labels."\\xaz"',
      [
        [0, 'Field', 'labels'],
        [6, 'Separator', '.'],
        [7, 'Illegal', '"\\xaz"', 'illegal numeric escape sequence'],
        [13, 'EOF'],
      ],
    ],
  ];

  for (const [name, input, want] of cases) {
    it(name, () => {
      expect(scanAll(input)).toEqual(want);
    });
  }

  it('returns a character that starts no token as itself', () => {
    expect(scanAll('a?')).toEqual([
      [0, 'Field', 'a'],
      [1, '?'],
      [2, 'EOF'],
    ]);
  });

  it('flags a replacement character as a rune error', () => {
    expect(scanAll('\ufffd')).toEqual([
      [0, 'Illegal', '', 'rune error'],
      [1, 'EOF'],
    ]);
  });

  it('keeps the first error, even one met while peeking', () => {
    const s = new Scanner('a\x00"\\g"');
    s.scan(); // "a": the peek past it meets the NUL
    expect(s.err).toBe('unexpected null');
    s.scan(); // the NUL
    expect(s.scan().tok).toBe(Tok.Illegal); // the bad escape
    expect(s.err).toBe('unexpected null');
  });
});
