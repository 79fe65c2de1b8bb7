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

function isAlnum(ch: string): boolean {
  const c = ch.charCodeAt(0);
  return (
    (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 0xff10 && c <= 0xff19) || (c >= 0xff21 && c <= 0xff3a) || (c >= 0xff41 && c <= 0xff5a)
  );
}
function isDigitChar(ch: string): boolean {
  const c = ch.charCodeAt(0);
  return (c >= 48 && c <= 57) || (c >= 0xff10 && c <= 0xff19);
}

/** Hides the alphanumeric characters of `value` whose index (among them) is outside [keepHead, n - keepTail). */
function maskAlnum(value: string, keepHead: number, keepTail: number, pick: (ch: string) => boolean = isAlnum): string {
  const chars = Array.from(value);
  let n = 0;
  for (const ch of chars) if (pick(ch)) n++;
  if (keepHead + keepTail >= n) {
    keepHead = Math.min(keepHead, 1);
    keepTail = 0;
    if (n <= 1) keepHead = 0;
  }
  let i = 0;
  let out = '';
  for (const ch of chars) {
    if (pick(ch)) {
      out += i < keepHead || i >= n - keepTail ? ch : '*'.repeat(ch.length);
      i++;
    } else out += ch;
  }
  return out;
}

export function maskValue(type: EntityType, value: string): string {
  switch (type) {
    case 'CN_MOBILE': {
      // Skip the country code: the last 11 digits are the number.
      const digits = Array.from(value).filter(isDigitChar).length;
      const prefix = digits - 11;
      return maskAlnum(value, prefix + 3, 4, isDigitChar);
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
      return maskAlnum(main, area, 2, isDigitChar) + (m ? value.slice(m.index) : '');
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
      return maskAlnum(value, 1, 1, (ch) => ch !== '-' && ch !== '_' ? true : false);
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
