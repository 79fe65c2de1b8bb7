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

/** Folds full-width digits, letters and punctuation, the ideographic space and dash variants. */
export function foldWidth(text: string): string {
  const t = foldTable();
  // Text built by concatenation is often a rope; reading it char by char walks the rope every
  // time. Number() makes the engine flatten it once, in place (its result is unused).
  void Number(text);
  const n = text.length;
  let i = 0;
  // Fast path: nothing to fold.
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (t[c] !== c) break;
  }
  if (i === n) return text;
  // Copy the unchanged stretches as slices and fold only the characters that need it; join
  // gives a flat string (concatenation would leave a rope that later reads have to walk).
  const parts: string[] = [];
  let last = 0;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    const f = t[c]!;
    if (f !== c) {
      if (i > last) parts.push(text.slice(last, i));
      parts.push(String.fromCharCode(f));
      last = i + 1;
    }
  }
  if (last < n) parts.push(text.slice(last));
  return parts.join('');
}
