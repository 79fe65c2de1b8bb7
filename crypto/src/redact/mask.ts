// Masks, following common Chinese practice. A mask keeps the length and every separator
// of the value and replaces hidden characters with '*', so offsets after it stay readable
// and a masked value is never recognised again (idempotence).
//   CN_MOBILE   138****5678          (+86 prefix kept)
//   CN_ID*, HK_ID, MO_ID, TW_ID, passports, permits   first 1 and last 2 visible
//   BANK_CARD   last 4 visible
//   EMAIL       first character and the domain visible (a one-character local part is hidden)
//   CN_LANDLINE area code and the last 2 digits of the number visible
//   USCC        first 2 and last 2 visible
//   IPV4 / IPV6 first octet / group visible
//   PLATE       province, letter and last character visible
//   QQ, WECHAT_ID  first and last character visible
//   PERSON      surname visible
//   ADDRESS     first 3 characters visible
//   CUSTOM      all hidden

import { foldWidth } from './fold';
import type { EntityType } from './types';

// Recognised values are BMP-only (ASCII, full-width forms, CJK), so the masks below work on
// UTF-16 units; only CUSTOM (free deny-list terms) may hold surrogate pairs and is handled apart.

function isAlnumCode(c: number): boolean {
  return (
    (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 0xff10 && c <= 0xff19) || (c >= 0xff21 && c <= 0xff3a) || (c >= 0xff41 && c <= 0xff5a)
  );
}
function isDigitCodeWide(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 0xff10 && c <= 0xff19);
}
function isAlnum(ch: string): boolean {
  return isAlnumCode(ch.charCodeAt(0));
}
function isIdCode(c: number): boolean {
  return c !== 45 && c !== 95;
}

/** Hides the characters picked by `pick` whose index (among them) is outside [keepHead, n - keepTail). */
function maskAlnum(value: string, keepHead: number, keepTail: number, pick: (c: number) => boolean = isAlnumCode): string {
  let n = 0;
  for (let i = 0; i < value.length; i++) if (pick(value.charCodeAt(i))) n++;
  if (keepHead + keepTail >= n) {
    keepHead = Math.min(keepHead, 1);
    keepTail = 0;
    if (n <= 1) keepHead = 0;
  }
  let k = 0;
  let out = '';
  let last = 0;
  for (let i = 0; i < value.length; i++) {
    if (!pick(value.charCodeAt(i))) continue;
    if (k >= keepHead && k < n - keepTail) {
      out += value.slice(last, i) + '*';
      last = i + 1;
    }
    k++;
  }
  return out + value.slice(last);
}

export function maskValue(type: EntityType, value: string): string {
  switch (type) {
    case 'CN_MOBILE': {
      // Skip the country code: the last 11 digits are the number.
      let digits = 0;
      for (let i = 0; i < value.length; i++) if (isDigitCodeWide(value.charCodeAt(i))) digits++;
      return maskAlnum(value, digits - 11 + 3, 4, isDigitCodeWide);
    }
    case 'CN_ID':
    case 'CN_ID15':
    case 'HK_ID':
    case 'MO_ID':
    case 'TW_ID':
    case 'CN_PASSPORT':
    case 'HK_MO_PERMIT':
    case 'TW_PERMIT':
      return maskAlnum(value, 1, 2);
    case 'BANK_CARD':
      return maskAlnum(value, 0, 4);
    case 'EMAIL': {
      const at = foldWidth(value).lastIndexOf('@');
      const local = value.slice(0, at);
      const hidden = local.length <= 1 ? '*'.repeat(local.length) : local[0] + '*'.repeat(local.length - 1);
      return hidden + value.slice(at);
    }
    case 'CN_LANDLINE': {
      // An extension written as 转801 / ext 801 / 分机801 stays visible (it names a desk, not a person).
      const m = /(?:转|分机|ext)/i.exec(value);
      const main = m ? value.slice(0, m.index) : value;
      const digits = main.replace(/[^0-9\uFF10-\uFF19]/g, '');
      const area = digits.startsWith('400') || digits.startsWith('800') ? 3 : digits[1] === '1' || digits[1] === '2' ? 3 : 4;
      return maskAlnum(main, area, 2, isDigitCodeWide) + (m ? value.slice(m.index) : '');
    }
    case 'USCC':
      return maskAlnum(value, 2, 2);
    case 'IPV4': {
      const dot = foldWidth(value).indexOf('.');
      return value.slice(0, dot) + value.slice(dot).replace(/[0-9\uFF10-\uFF19]/g, '*');
    }
    case 'IPV6': {
      const colon = foldWidth(value).indexOf(':');
      return value.slice(0, colon) + value.slice(colon).replace(/[0-9A-Fa-f\uFF10-\uFF19\uFF21-\uFF26\uFF41-\uFF46]/g, '*');
    }
    case 'PLATE': {
      // Province, the issuing-office letter and the last character stay visible.
      const chars = Array.from(value);
      const letter = chars.findIndex((ch, i) => i > 0 && isAlnum(ch));
      return chars.map((ch, i) => (i === 0 || i === letter || i === chars.length - 1 || !isAlnum(ch) ? ch : '*')).join('');
    }
    case 'QQ':
    case 'WECHAT_ID':
      return maskAlnum(value, 1, 1, isIdCode);
    case 'PERSON': {
      const chars = Array.from(value);
      const surname = chars.length === 4 ? 2 : 1;
      return chars.slice(0, surname).join('') + '*'.repeat(chars.length - surname);
    }
    case 'ADDRESS': {
      const chars = Array.from(value);
      return chars.slice(0, 3).join('') + '*'.repeat(Math.max(0, chars.length - 3));
    }
    case 'CUSTOM':
      return Array.from(value).map((ch) => '*'.repeat(ch.length)).join('');
  }
}
