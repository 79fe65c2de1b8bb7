// Text normalisation and segmentation for local search.
//
// normalize(): full-width ASCII (U+FF01..U+FF5E) folds to ASCII, the ideographic space
// U+3000 to a space, then the whole string is lower-cased. Index and query share it.
//
// segment() splits normalised text into
//   - CJK runs: maximal runs of Han, kana, Hangul and CJK compatibility ideographs;
//     indexed as every character (unigram) and every adjacent pair (bigram), so any
//     substring of a run can be found: 1 char by its unigram, 2+ chars by their bigrams.
//   - words: maximal runs of other letters and digits (Latin, Cyrillic, digits...).
//     A query word matches any word that starts with it ("hosp" finds "hospital").
//   - everything else (spaces, punctuation, emoji, symbols) separates and is not searchable.
//
// A message matches a query when every CJK piece of the query occurs in the message and
// every word of the query is a prefix of some word of the message (AND, any order).

/** Code points that form CJK runs. */
export function isCjk(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) || // CJK Unified Ideographs
    (cp >= 0x3400 && cp <= 0x4dbf) || // Extension A
    (cp >= 0x20000 && cp <= 0x3134f) || // Extensions B..G (supplementary planes)
    (cp >= 0xf900 && cp <= 0xfaff) || // Compatibility Ideographs
    (cp >= 0x3040 && cp <= 0x30ff) || // Hiragana, Katakana
    (cp >= 0x31f0 && cp <= 0x31ff) || // Katakana phonetic extensions
    (cp >= 0xac00 && cp <= 0xd7af) || // Hangul syllables
    (cp >= 0x1100 && cp <= 0x11ff) || // Hangul Jamo
    cp === 0x3007 // 〇
  );
}

const OTHER_WORD_CHAR = /[\p{L}\p{N}]/u;

function isWordChar(cp: number): boolean {
  if (cp < 0x80) return (cp >= 0x61 && cp <= 0x7a) || (cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a);
  if (isCjk(cp)) return false;
  return OTHER_WORD_CHAR.test(String.fromCodePoint(cp));
}

export function normalize(text: string): string {
  let folded = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 0xff01 && c <= 0xff5e) || c === 0x3000) {
      folded += text.slice(from, i) + String.fromCharCode(c === 0x3000 ? 0x20 : c - 0xfee0);
      from = i + 1;
    }
  }
  folded = from === 0 ? text : folded + text.slice(from);
  return folded.toLowerCase();
}

export interface Segments {
  /** CJK runs, each as an array of code points. */
  cjkRuns: number[][];
  words: string[];
}

/** Splits already-normalised text. */
export function segment(normalized: string): Segments {
  const cjkRuns: number[][] = [];
  const words: string[] = [];
  let run: number[] | null = null;
  let wordStart = -1;
  for (let i = 0; i <= normalized.length; ) {
    const cp = i < normalized.length ? normalized.codePointAt(i)! : -1;
    const width = cp > 0xffff ? 2 : 1;
    const cjk = cp >= 0 && isCjk(cp);
    const word = cp >= 0 && !cjk && isWordChar(cp);
    if (cjk) {
      if (!run) run = [];
      run.push(cp);
    } else if (run) {
      cjkRuns.push(run);
      run = null;
    }
    if (word) {
      if (wordStart < 0) wordStart = i;
    } else if (wordStart >= 0) {
      words.push(normalized.slice(wordStart, i));
      wordStart = -1;
    }
    if (cp < 0) break;
    i += width;
  }
  return { cjkRuns, words };
}

/** Key of a CJK unigram: the code point itself (< 2^21). */
export function unigramKey(cp: number): number {
  return cp;
}

/** Key of a CJK bigram: above every unigram key, exact in a double (< 2^42). */
export function bigramKey(a: number, b: number): number {
  return a * 0x200000 + b;
}

export interface IndexTerms {
  cjk: number[];
  words: string[];
}

/**
 * The distinct index terms of a text (unigrams and bigrams of CJK runs, whole words), CJK
 * keys ascending. The keys are collected in a plain array and deduplicated after sorting,
 * not in a Set: bigram keys exceed 2^31, and a Set boxes each one in a heap number, which
 * made this the largest allocation of a received message.
 */
export function indexTerms(text: string): IndexTerms {
  const { cjkRuns, words } = segment(normalize(text));
  const keys: number[] = [];
  for (const run of cjkRuns) {
    for (let i = 0; i < run.length; i++) {
      keys.push(unigramKey(run[i]!));
      if (i + 1 < run.length) keys.push(bigramKey(run[i]!, run[i + 1]!));
    }
  }
  keys.sort((a, b) => a - b);
  let distinct = 0;
  for (let i = 0; i < keys.length; i++) if (distinct === 0 || keys[i] !== keys[distinct - 1]) keys[distinct++] = keys[i]!;
  keys.length = distinct;
  return { cjk: keys, words: words.length > 1 ? [...new Set(words)] : words };
}

export interface ParsedQuery {
  /** CJK pieces as strings (for verification) and code points (for lookup). */
  cjk: { text: string; codePoints: number[] }[];
  /** Word prefixes. */
  words: string[];
}

export function parseQuery(query: string): ParsedQuery {
  const { cjkRuns, words } = segment(normalize(query));
  const seen = new Set<string>();
  const cjk: ParsedQuery['cjk'] = [];
  for (const run of cjkRuns) {
    const text = String.fromCodePoint(...run);
    if (!seen.has(text)) {
      seen.add(text);
      cjk.push({ text, codePoints: run });
    }
  }
  return { cjk, words: [...new Set(words)] };
}

export function isEmptyQuery(q: ParsedQuery): boolean {
  return q.cjk.length === 0 && q.words.length === 0;
}
