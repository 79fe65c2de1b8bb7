// One-to-one folding of full-width forms so that every offset in the folded text is the
// same offset in the input: U+FF01..U+FF5E -> U+0021..U+007E, U+3000 -> space, dash
// variants -> '-', middle-dot variants -> U+00B7. Never changes the length.
// The full-width sentence marks ，！？；： are left alone: they end values rather than
// form them, and most chat text then needs no folding at all (the fast path).

let table: Uint16Array | null = null;

function foldTable(): Uint16Array {
  if (table) return table;
  const t = new Uint16Array(65536);
  for (let i = 0; i < 65536; i++) t[i] = i;
  for (let c = 0xff01; c <= 0xff5e; c++) t[c] = c - 0xfee0;
  for (const c of [0xff0c, 0xff01, 0xff1f, 0xff1b, 0xff1a]) t[c] = c;
  t[0x3000] = 0x20;
  for (let c = 0x2010; c <= 0x2015; c++) t[c] = 0x2d;
  t[0x2212] = 0x2d;
  t[0x30fb] = 0xb7;
  t[0x2022] = 0xb7;
  table = t;
  return t;
}

const CHUNK = 8192;

/** Folds full-width digits, letters and punctuation, the ideographic space and dash variants. */
export function foldWidth(text: string): string {
  const t = foldTable();
  const n = text.length;
  let i = 0;
  // Fast path: nothing to fold.
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (t[c] !== c) break;
  }
  if (i === n) return text;
  let out = text.slice(0, i);
  const codes = new Uint16Array(Math.min(CHUNK, n - i));
  while (i < n) {
    const len = Math.min(CHUNK, n - i);
    for (let k = 0; k < len; k++) codes[k] = t[text.charCodeAt(i + k)]!;
    out += String.fromCharCode.apply(null, (len === codes.length ? codes : codes.subarray(0, len)) as unknown as number[]);
    i += len;
  }
  return out;
}
