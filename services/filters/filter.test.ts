import { describe, it, expect } from 'vitest';
import { TsctrError, wireMessage } from '../../api/errdefs.js';
import { adapt, parseFilter, parseFilters, type Adaptor } from './index.js';

interface Entry {
  name: string;
  other?: string;
  labels?: Record<string, string>;
}

// The corpus of containerd v1.6.20 filters/filter_test.go, plus two entries of our own (9, 10).
const corpus: Entry[] = [
  { name: 'foo', labels: { foo: 'true' } },
  { name: 'bar' },
  { name: 'foo', labels: { foo: 'present', 'more complex label': 'present' } },
  { name: 'bar', labels: { bar: 'true' } },
  { name: 'fooer', labels: { 'more complex label with \\ and "': 'present' } },
  { name: 'fooer', labels: { 'more complex label with \\ and ".post': 'present' } },
  { name: 'baz', other: 'too complex, yo' },
  { name: 'bazo', other: 'abc' },
  { name: 'compound', labels: { foo: 'omg_asdf.asdf-qwer' } },
  { name: 'dotted', labels: { 'a.b/c': 'x', 'a.b': 'y', 'containerd.io/gc.ref.content': 'sha256:1' } },
  { name: 'spaced', other: 'é/牛', labels: { 'with space': 'v', foo: 'pipe|slash/' } },
];

const adaptor = (e: Entry): Adaptor => adapt({ name: e.name, other: e.other }, { labels: e.labels });

/** Indexes of the corpus entries that pass. */
function run(filter: string | string[]): number[] {
  const f = Array.isArray(filter) ? parseFilters(filter) : parseFilter(filter);
  return corpus.flatMap((e, i) => (f.match(adaptor(e)) ? [i] : []));
}

const all = corpus.map((_, i) => i);

function parseError(input: string): TsctrError {
  try {
    parseFilter(input);
  } catch (err) {
    if (err instanceof TsctrError) return err;
    throw err;
  }
  throw new Error(`no error for ${JSON.stringify(input)}`);
}

describe('containerd filter_test.go cases', () => {
  const cases: [string, string, number[]][] = [
    ['empty', '', all],
    ['present', 'name', all],
    ['label present', 'labels.foo', [0, 2, 8, 10]],
    ['name and label present', 'labels.foo,name', [0, 2, 8, 10]],
    ['label value', 'labels.foo==true', [0]],
    ['label value punctuated', 'labels.foo==omg_asdf.asdf-qwer', [8]],
    ['name', 'name==bar', [1, 3]],
    ['name not equal', 'name!=bar', [0, 2, 4, 5, 6, 7, 8, 9, 10]],
    ['name and label present', 'name==bar,labels.bar', [3]],
    ['quoted value', 'other=="too complex, yo"', [6]],
    ['regexp value', 'other~=[abc]+,name!=foo', [6, 7]],
    ['regexp quoted value', 'other~=/[abc]+/,name!=foo', [6, 7]],
    ['regexp quoted value with a comma inside', 'other~=/[abc]{1,2}/,name!=foo', [6, 7]],
    ['regexp quoted value garbage', 'other~=/[abc]{0,1}"\\//,name!=foo', []],
    ['name and label value', 'name==bar,labels.bar==true', [3]],
    ['name and label value, no match', 'name==bar,labels.bar==wrong', []],
    ['label quoted field path present', 'name==foo,labels."more complex label"', [2]],
    ['label quoted field path with escapes', 'labels."more complex label with \\\\ and \\""==present', [4]],
    [
      'label quoted field path with escapes, then more path',
      'labels."more complex label with \\\\ and \\"".post==present',
      [5],
    ],
  ];
  for (const [name, input, want] of cases) {
    it(`${name}: ${input}`, () => expect(run(input)).toEqual(want));
  }
});

describe('field paths', () => {
  it('joins the rest of a map path with "."', () => {
    expect(run('labels.a.b==y')).toEqual([9]);
    expect(run('labels.containerd.io==x')).toEqual([]);
  });

  it('quotes a path part that is not a plain word', () => {
    expect(run('labels."a.b/c"==x')).toEqual([9]);
    expect(run('labels."a.b"==y')).toEqual([9]);
    expect(run('labels."a".b==y')).toEqual([9]);
    expect(run('labels."containerd.io/gc.ref.content"')).toEqual([9]);
    expect(run('labels."with space"==v')).toEqual([10]);
  });

  it('allows fields that start with a digit or underscore', () => {
    expect(parseFilter('_x.9==y').match((p) => (p.join('/') === '_x/9' ? 'y' : undefined))).toBe(true);
  });

  it('allows a quoted first field', () => {
    expect(run('"name"==bar')).toEqual([1, 3]);
  });
});

describe('quoting', () => {
  it('"..." decodes Go escapes', () => {
    const f = parseFilter('labels."\\x61\\u002eb"=="\\171"');
    expect(f.match(adaptor(corpus[9]))).toBe(true); // key "a.b", value "y"
    expect(parseFilter('other=="\\u00e9/\\U0000725b"').match(adaptor(corpus[10]))).toBe(true);
    expect(parseFilter('other=="\\303\\251/牛"').match(adaptor(corpus[10]))).toBe(true); // UTF-8 bytes of é
  });

  it('an escaped byte that is not valid UTF-8 equals nothing', () => {
    const f = parseFilter('name=="\\xff"');
    expect(f.match(() => '\xff')).toBe(false);
    expect(f.match(() => '\ufffd')).toBe(false);
    expect(parseFilter('name!="\\xff"').match(() => '\ufffd')).toBe(true);
  });

  it('/regexp/ and |regexp| are allowed after ~=', () => {
    expect(run('other~=/^é\\/牛$/')).toEqual([10]);
    expect(run('other~=|^é/牛$|')).toEqual([10]);
    // Inside |...| an escaped pipe becomes a bare "|", which the regexp then reads as alternation.
    expect(run('labels.foo~=|^pipe\\|^true|')).toEqual([0, 10]);
    expect(run('labels.foo~="^t"')).toEqual([0]);
  });

  it('a "..." regexp takes Go escapes first, then regexp escapes', () => {
    expect(run('labels.foo~="pipe\\\\|slash"')).toEqual([10]);
    expect(run('labels.foo~="^omg_asdf\\\\.asdf"')).toEqual([8]);
  });

  it('an unquoted value can hold any punctuation but ","', () => {
    expect(run('labels."containerd.io/gc.ref.content"==sha256:1')).toEqual([9]);
    expect(run('other==é/牛')).toEqual([10]);
    expect(run('labels.foo==pipe|slash/')).toEqual([10]);
    expect(parseFilter('a==b=c!~').match(() => 'b=c!~')).toBe(true);
  });
});

describe('operators', () => {
  it('presence-only selectors need the field', () => {
    expect(run('other')).toEqual([6, 7, 10]);
    expect(run('labels')).toEqual([]); // the key "" is looked up
    expect(run('missing')).toEqual([]);
    expect(parseFilter('labels').match(adapt({}, { labels: { '': 'x' } }))).toBe(true);
  });

  it('== needs the field present', () => {
    expect(run('other==""')).toEqual([]);
    expect(parseFilter('x==""').match(() => '')).toBe(true);
  });

  it('!= matches when the field is absent', () => {
    expect(run('labels.foo!=true')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(run('missing!=x')).toEqual(all);
  });

  it('!= compares an absent field as ""', () => {
    expect(run('other!=""')).toEqual([6, 7, 10]);
  });

  it('~= matches an absent field as ""', () => {
    expect(run('other~=^$')).toEqual([0, 1, 2, 3, 4, 5, 8, 9]);
    expect(run('missing~=/.*/')).toEqual(all);
  });

  it('~= searches anywhere in the value (unanchored)', () => {
    expect(run('name~=oo')).toEqual([0, 2, 4, 5]);
    expect(run('name~=^ba')).toEqual([1, 3, 6, 7]);
  });

  it('~= with a pattern that does not compile matches nothing, without an error', () => {
    expect(run('name~=[')).toEqual([]);
    expect(run('name!=x,name~=(?=a)')).toEqual([]);
  });

  it('~= uses Go regexp syntax', () => {
    expect(run('name~=(?i)^FOO$')).toEqual([0, 2]);
    expect(run('name~=^\\x{62}a\\pL$')).toEqual([1, 3, 6]);
    expect(run('name~=[[:digit:]]')).toEqual([]);
  });
});

describe('combining', () => {
  it('AND within one string', () => {
    expect(run('name==foo,labels.foo==present')).toEqual([2]);
    expect(run('name==foo,name==bar')).toEqual([]);
  });

  it('OR across strings', () => {
    expect(run(['name==foo', 'name==bar'])).toEqual([0, 1, 2, 3]);
    expect(run(['name==foo,labels.foo==true', 'labels.bar'])).toEqual([0, 3]);
  });

  it('an empty list or one with "" matches everything', () => {
    expect(run([])).toEqual(all);
    expect(run(['name==nothing', ''])).toEqual(all);
    expect(run([''])).toEqual(all);
  });

  it('a bad string anywhere in the list is an error', () => {
    expect(() => parseFilters(['', 'name=='])).toThrow(TsctrError);
    expect(() => parseFilters(['name==foo', 'a,,b'])).toThrow('[a, >|,|< b]');
  });
});

describe('whitespace', () => {
  it('is skipped before any token', () => {
    expect(run(' name == bar')).toEqual([1, 3]);
    expect(run('name==bar, labels.bar')).toEqual([3]);
    expect(run('labels. bar')).toEqual([3]);
    expect(run('\tname\t==\tbar')).toEqual([1, 3]);
  });

  it('is kept inside quotes', () => {
    expect(run('other=="too complex, yo"')).toEqual([6]);
    expect(run('other==" too complex, yo"')).toEqual([]);
  });

  it('is not allowed after a value or between a field and "," or "."', () => {
    expect(parseError('name==bar ').message).toBe(
      'filters: parse error: [name==bar >| |< ]: unexpected input:  ',
    );
    expect(parseError('name==bar ,x').message).toBe(
      'filters: parse error: [name==bar >| |< ,x]: unexpected input:  ',
    );
    expect(parseError('labels .foo').message).toBe(
      'filters: parse error: [labels  >|.|< foo]: expected an operator ("=="|"!="|"~=")',
    );
    expect(parseError('name ,x').message).toBe(
      'filters: parse error: [name  >|,|< x]: expected an operator ("=="|"!="|"~=")',
    );
  });

  it('a string of only whitespace is an error, unlike ""', () => {
    expect(parseError(' ').message).toBe('filters: parse error: [ ]: expected field or quoted');
  });
});

describe('syntax errors', () => {
  // Messages checked against containerd v1.6.20 (the first seven are filter_test.go's).
  const cases: [string, string][] = [
    [
      'labels.|foo|==omg_asdf.asdf-qwer',
      '[labels. >|||< foo|==omg_asdf.asdf-qwer]: invalid quote encountered',
    ],
    [
      'labels.?"more complex label with \\\\ and \\"".post==present',
      '[labels. >|?|< "more complex label with \\\\ and \\"".post==present]: expected field or quoted',
    ],
    ['name==foo,', '[name==foo,]: expected field or quoted'],
    ['labels.', '[labels.]: expected field or quoted'],
    ['image~=,id?=?fbaq', '[image~= >|,|< id?=?fbaq]: expected value or quoted'],
    ['labels.ns/key==value', '[labels.ns >|/|< key==value]: quoted literal not terminated'],
    ['labels.key==/value', '[labels.key== >|/|< value]: quoted literal not terminated'],
    ['name===foo', '[name >|=|< ==foo]: unsupported operator "==="'],
    ['name=foo', '[name >|=|< foo]: unsupported operator "="'],
    ['name!~foo', '[name >|!|< ~foo]: unsupported operator "!~"'],
    ['name==a,b=c', '[name==a,b >|=|< c]: unsupported operator "="'],
    ['name foo', '[name  >|f|< oo]: expected an operator ("=="|"!="|"~=")'],
    ['a"b"', '[a >|"|< b"]: expected an operator ("=="|"!="|"~=")'],
    ['name==foo bar', '[name==foo >| |< bar]: unexpected input:  '],
    ['name=="x"y', '[name=="x" >|y|< ]: unexpected input: y'],
    ['name==foo\x00', '[name==foo >|\x00|< ]: unexpected input: \ufffd'],
    ['foo\x00bar', '[foo >|\x00|< bar]: unexpected null'],
    ['\ufffd', '[ >|\ufffd|< ]: rune error'],
    ['a,,b', '[a, >|,|< b]: expected field or quoted'],
    [',a', '[ >|,|< a]: expected field or quoted'],
    ['!=x', '[ >|!|< =x]: expected field or quoted'],
    ['labels."a.b"..c', '[labels."a.b". >|.|< c]: expected field or quoted'],
    ['name==', '[name==]: expected value or quoted'],
    ['name~= ', '[name~= ]: expected value or quoted'],
    ['name==.foo', '[name== >|.|< foo]: expected value or quoted'],
    ['name~=.*', '[name~= >|.|< *]: expected value or quoted'], // a value cannot start with "."
    ['name~=!x', '[name >|~|< =!x]: unsupported operator "~=!"'], // "=", "!", "~" join the operator
    ['/a/==x', '[ >|/|< a/==x]: invalid quote encountered'],
    ['name==|a|', '[name== >|||< a|]: invalid quote encountered'],
    ['name==/a/', '[name== >|/|< a/]: invalid quote encountered'],
    ['labels."a\nb"==x', '[labels. >|"|< a\nb"==x]: quoted literal not terminated'],
    ['name~=/unterminated', '[name~= >|/|< unterminated]: quoted literal not terminated'],
    ['labels."\\g"', '[labels. >|"|< \\g"]: illegal escape sequence'],
    ['"\\|"==x', '[ >|"|< \\|"==x]: illegal escape sequence'],
    ['name~=/a\\"b/', '[name~= >|/|< a\\"b/]: illegal escape sequence'],
    ['labels."\\xaz"', '[labels. >|"|< \\xaz"]: illegal numeric escape sequence'],
    ['name=="\\08"', '[name== >|"|< \\08"]: illegal numeric escape sequence'],
    ['labels."\\400"', '[labels. >|"|< \\400"]: unquoting failed: quote syntax error'],
    ['labels."\\U00110000"', '[labels. >|"|< \\U00110000"]: unquoting failed: quote syntax error'],
  ];
  for (const [input, where] of cases) {
    it(JSON.stringify(input), () => {
      const err = parseError(input);
      expect(err.kind).toBe('InvalidArgument');
      expect(err.message).toBe(`filters: parse error: ${where}`);
    });
  }

  it('goes on the wire as containerd words it', () => {
    expect(wireMessage(parseError('name=='))).toBe(
      'filters: parse error: [name==]: expected value or quoted: invalid argument',
    );
  });

  it('points at a whole non-ASCII character (containerd cuts one byte of it)', () => {
    expect(parseError('牛').message).toBe('filters: parse error: [ >|牛|< ]: expected field or quoted');
  });
});
