// Validators used by the recognisers: check digits, region codes, dates, TLDs.
// Each takes the canonical value (digits / upper-case letters only) and returns a boolean.

// The lists below are one string split at load: two bytes less per entry in the mini
// program's size-capped bundle than an array literal (docs/MINIPROGRAM.md, size budgets).

/** Province-level codes of GB/T 2260 used as the first two digits of resident IDs (71 Taiwan, 81-83 residence permits). */
const PROVINCES = new Set('11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82 83'.split(' '));

/** Mainland provinces only (the foreigner permanent-residence ID is `9` + province + ...). */
function isMainlandProvince(code: string): boolean {
  return PROVINCES.has(code) && code < '70';
}

export function isProvinceCode(code: string): boolean {
  return PROVINCES.has(code);
}

/** A calendar date as YYYYMMDD integer, e.g. 20240131. */
export type YMD = number;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** True for a real date 1900-01-01..`notAfter` written as 8 digits YYYYMMDD. */
export function isBirthDate(yyyymmdd: string, notAfter: YMD): boolean {
  if (!/^[0-9]{8}$/.test(yyyymmdd)) return false;
  const year = Number(yyyymmdd.slice(0, 4));
  const month = Number(yyyymmdd.slice(4, 6));
  const day = Number(yyyymmdd.slice(6, 8));
  if (year < 1900 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  return Number(yyyymmdd) <= notAfter;
}

/** ISO 7064 MOD 11-2 check character of an 18-character resident ID ('X' for 10). */
export function idCheckChar(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * weights[i]!;
  return '10X98765432'[sum % 11]!;
}

export interface IdCheck {
  province: boolean;
  birthDate: boolean;
  checksum: boolean;
}

/** Checks an 18-character resident ID (17 digits + digit or X), incl. the 9-prefixed foreigner ID. */
export function checkResidentId(id: string, notAfter: YMD): IdCheck {
  const province = id[0] === '9' ? isMainlandProvince(id.slice(1, 3)) : PROVINCES.has(id.slice(0, 2));
  return {
    province,
    birthDate: isBirthDate(id.slice(6, 14), notAfter),
    checksum: idCheckChar(id) === id[17],
  };
}

/** The 15-digit legacy ID: province, YYMMDD in the 1900s, 3-digit sequence. */
export function checkLegacyId(id: string, notAfter: YMD): IdCheck {
  return {
    province: isMainlandProvince(id.slice(0, 2)),
    birthDate: isBirthDate('19' + id.slice(6, 12), notAfter),
    checksum: false,
  };
}

/** Luhn (mod 10) over a digit string. */
export function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Issuer prefixes with the lengths each issuer uses (UnionPay 62, domestic 60, Visa, Mastercard, JCB, Amex). */
export function cardIssuer(digits: string): string | null {
  const n = digits.length;
  const p2 = Number(digits.slice(0, 2));
  const p4 = Number(digits.slice(0, 4));
  if (p2 === 62 && n >= 16 && n <= 19) return 'unionpay';
  if (p2 === 60 && n >= 16 && n <= 19) return 'domestic';
  if (digits[0] === '4' && (n === 16 || n === 19)) return 'visa';
  if (p2 >= 51 && p2 <= 55 && n === 16) return 'mastercard';
  if (p4 >= 2221 && p4 <= 2720 && n === 16) return 'mastercard';
  if (p4 >= 3528 && p4 <= 3589 && n >= 16 && n <= 19) return 'jcb';
  if ((p2 === 34 || p2 === 37) && n === 15) return 'amex';
  return null;
}

const USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** True when all 18 characters are in the GB 32100-2015 alphabet and the region part is digits. */
export function isUsccShape(code: string): boolean {
  if (code.length !== 18) return false;
  for (let i = 0; i < 18; i++) {
    const v = USCC_ALPHABET.indexOf(code[i]!);
    if (v < 0) return false;
    if (i >= 2 && i < 8 && v > 9) return false;
  }
  return true;
}

/** GB 32100-2015 mod-31 check character. */
export function usccCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += USCC_ALPHABET.indexOf(first17[i]!) * USCC_WEIGHTS[i]!;
  return USCC_ALPHABET[(31 - (sum % 31)) % 31]!;
}

/** Hong Kong identity card: 1-2 letters, 6 digits, check 0-9 or A (mod 11). `body` excludes the check. */
export function hkIdCheckChar(body: string): string {
  const letters = body.length === 8 ? body.slice(0, 2) : ' ' + body.slice(0, 1);
  const digits = body.slice(letters.trim().length);
  let sum = 0;
  const value = (ch: string): number => (ch === ' ' ? 36 : ch.charCodeAt(0) - 55);
  sum += value(letters[0]!) * 9 + value(letters[1]!) * 8;
  for (let i = 0; i < 6; i++) sum += (digits.charCodeAt(i) - 48) * (7 - i);
  const check = (11 - (sum % 11)) % 11;
  return check === 10 ? 'A' : String(check);
}

const TW_LETTERS = 'ABCDEFGHJKLMNPQRSTUVXYWZIO';

/** Taiwan national ID: letter + [1289] + 8 digits, weighted mod 10. */
export function twIdValid(id: string): boolean {
  const code = TW_LETTERS.indexOf(id[0]!) + 10;
  if (code < 10) return false;
  let sum = Math.floor(code / 10) + (code % 10) * 9;
  for (let i = 1; i < 9; i++) sum += (id.charCodeAt(i) - 48) * (9 - i);
  sum += id.charCodeAt(9) - 48;
  return sum % 10 === 0;
}

/** Top-level domains accepted in e-mail addresses: the common generic ones and any two-letter country code. */
const GENERIC_TLDS = new Set(
  ('com net org edu gov mil int info biz name pro mobi asia xyz top vip club site online shop store tech app dev ' +
  'cloud email wang ren ltd group link live news work life world today company website space fun icu ink law art ' +
  'design studio team red kim xin cool run zone games').split(' '),
);
/** Two-letter strings that are file extensions far more often than country codes in chat. */
const NOT_TLDS = new Set('js py rs ts md sh gz db'.split(' '));

export function isEmailTld(tld: string): boolean {
  const t = tld.toLowerCase();
  if (t.length === 2) return /^[a-z]{2}$/.test(t) && !NOT_TLDS.has(t);
  return GENERIC_TLDS.has(t);
}

/** Mainland mobile prefixes in use (MIIT allocations); a 1[3-9] number outside them is still reported, with a lower score. */
export function isKnownMobilePrefix(digits: string): boolean {
  const p3 = digits.slice(0, 3);
  return /^(13[0-9]|14[5-9]|15[0-35-9]|16[2567]|17[0-8]|18[0-9]|19[0-35-9])$/.test(p3);
}

/** Mainland area codes: 010, 02x, and 0[3-9]xx (4 digits). */
export function areaCodeLength(digits: string): 0 | 3 | 4 {
  if (digits[0] !== '0') return 0;
  if (digits[1] === '1' && digits[2] === '0') return 3;
  if (digits[1] === '2') return 3;
  if (digits[1]! >= '3' && digits[1]! <= '9') return 4;
  return 0;
}
