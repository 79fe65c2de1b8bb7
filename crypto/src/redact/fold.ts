// One-to-one folding of full-width forms so that every offset in the folded text is the
// same offset in the input: U+FF01..U+FF5E -> U+0021..U+007E, U+3000 -> space, and a few
// Chinese punctuation marks used as separators. Never changes the length.

const FOLD_RE = /[\uFF01-\uFF5E\u3000\u2010-\u2015\u2212\u00B7\u30FB\u2022]/g;

function foldChar(ch: string): string {
  const c = ch.charCodeAt(0);
  if (c >= 0xff01 && c <= 0xff5e) return String.fromCharCode(c - 0xfee0);
  if (c === 0x3000) return ' ';
  if ((c >= 0x2010 && c <= 0x2015) || c === 0x2212) return '-';
  if (c === 0x30fb || c === 0x2022 || c === 0x00b7) return '·';
  return ch;
}

/** Folds full-width digits, letters and punctuation, the ideographic space and dash variants. */
export function foldWidth(text: string): string {
  return text.replace(FOLD_RE, foldChar);
}
