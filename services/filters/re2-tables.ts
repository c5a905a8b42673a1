// Character tables and range helpers for the Go-regexp translator (re2.ts): the ASCII classes Go
// knows by name, its Unicode categories and scripts, and ranges written as JS class items.
export type Range = readonly [number, number];

export const MAX_RUNE = 0x10ffff;

// Ranges of the ASCII classes Go knows by name.
const R = (...pairs: [string, string][]): Range[] =>
  pairs.map(([a, b]) => [a.codePointAt(0) ?? 0, b.codePointAt(0) ?? 0] as const);
export const posixClasses: Record<string, Range[]> = {
  alnum: R(['0', '9'], ['A', 'Z'], ['a', 'z']),
  alpha: R(['A', 'Z'], ['a', 'z']),
  ascii: R(['\x00', '\x7f']),
  blank: R(['\t', '\t'], [' ', ' ']),
  cntrl: R(['\x00', '\x1f'], ['\x7f', '\x7f']),
  digit: R(['0', '9']),
  graph: R(['!', '~']),
  lower: R(['a', 'z']),
  print: R([' ', '~']),
  punct: R(['!', '/'], [':', '@'], ['[', '`'], ['{', '~']),
  space: R(['\t', '\r'], [' ', ' ']),
  upper: R(['A', 'Z']),
  word: R(['0', '9'], ['A', 'Z'], ['a', 'z'], ['_', '_']),
  xdigit: R(['0', '9'], ['A', 'F'], ['a', 'f']),
};
export const perlSpace = R(['\t', '\n'], ['\f', '\r'], [' ', ' ']);

// Go's unicode.Categories (its `C` lacks the unassigned code points that JS puts in `\p{C}`).
export const goCategories = new Set(
  'C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs'.split(
    ' ',
  ),
);

// Go 1.19's unicode.Scripts (Unicode 13). JS also knows short aliases such as "Grek", which Go refuses.
export const goScripts = new Set(
  (
    'Adlam Ahom Anatolian_Hieroglyphs Arabic Armenian Avestan Balinese Bamum Bassa_Vah Batak Bengali ' +
    'Bhaiksuki Bopomofo Brahmi Braille Buginese Buhid Canadian_Aboriginal Carian Caucasian_Albanian ' +
    'Chakma Cham Cherokee Chorasmian Common Coptic Cuneiform Cypriot Cyrillic Deseret Devanagari ' +
    'Dives_Akuru Dogra Duployan Egyptian_Hieroglyphs Elbasan Elymaic Ethiopic Georgian Glagolitic Gothic ' +
    'Grantha Greek Gujarati Gunjala_Gondi Gurmukhi Han Hangul Hanifi_Rohingya Hanunoo Hatran Hebrew ' +
    'Hiragana Imperial_Aramaic Inherited Inscriptional_Pahlavi Inscriptional_Parthian Javanese Kaithi ' +
    'Kannada Katakana Kayah_Li Kharoshthi Khitan_Small_Script Khmer Khojki Khudawadi Lao Latin Lepcha ' +
    'Limbu Linear_A Linear_B Lisu Lycian Lydian Mahajani Makasar Malayalam Mandaic Manichaean Marchen ' +
    'Masaram_Gondi Medefaidrin Meetei_Mayek Mende_Kikakui Meroitic_Cursive Meroitic_Hieroglyphs Miao Modi ' +
    'Mongolian Mro Multani Myanmar Nabataean Nandinagari New_Tai_Lue Newa Nko Nushu ' +
    'Nyiakeng_Puachue_Hmong Ogham Ol_Chiki Old_Hungarian Old_Italic Old_North_Arabian Old_Permic ' +
    'Old_Persian Old_Sogdian Old_South_Arabian Old_Turkic Oriya Osage Osmanya Pahawh_Hmong Palmyrene ' +
    'Pau_Cin_Hau Phags_Pa Phoenician Psalter_Pahlavi Rejang Runic Samaritan Saurashtra Sharada Shavian ' +
    'Siddham SignWriting Sinhala Sogdian Sora_Sompeng Soyombo Sundanese Syloti_Nagri Syriac Tagalog ' +
    'Tagbanwa Tai_Le Tai_Tham Tai_Viet Takri Tamil Tangut Telugu Thaana Thai Tibetan Tifinagh Tirhuta ' +
    'Ugaritic Vai Wancho Warang_Citi Yezidi Yi Zanabazar_Square'
  ).split(' '),
);

export function complement(ranges: readonly Range[]): Range[] {
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of [...ranges].sort((a, b) => a[0] - b[0])) {
    if (lo > next) out.push([next, lo - 1]);
    next = Math.max(next, hi + 1);
  }
  if (next <= MAX_RUNE) out.push([next, MAX_RUNE]);
  return out;
}

/**
 * Adds the other case of each letter (and the two non-ASCII letters that fold to ASCII ones). Go folds
 * a class before negating it; JS ignore-case then folds the negated ranges again, so the complement must
 * start from the folded set.
 */
export function foldAscii(ranges: readonly Range[]): Range[] {
  const set = new Set<number>();
  for (const [lo, hi] of ranges) for (let r = lo; r <= hi; r++) set.add(r);
  for (const r of [...set]) {
    if (r >= 0x41 && r <= 0x5a) set.add(r + 0x20);
    if (r >= 0x61 && r <= 0x7a) set.add(r - 0x20);
  }
  if (set.has(0x6b)) set.add(0x212a); // k, K, KELVIN SIGN
  if (set.has(0x73)) set.add(0x17f); // s, S, LATIN SMALL LETTER LONG S
  return [...set].map((r) => [r, r] as const);
}

export const esc = (r: number): string => `\\u{${r.toString(16)}}`;
export const rangeItems = (ranges: readonly Range[]): string =>
  ranges.map(([lo, hi]) => (lo === hi ? esc(lo) : `${esc(lo)}-${esc(hi)}`)).join('');

export function isAlnum(c: string): boolean {
  return /^[0-9A-Za-z]$/.test(c);
}
