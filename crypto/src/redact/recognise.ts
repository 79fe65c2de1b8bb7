// The recognisers: scan the folded text once for alphanumeric words, group digit words
// into chunks (single space or hyphen between groups), and classify every admissible
// range of groups; then e-mail, IPv6, plate and keyword-driven passes. Every regex here
// has bounded quantifiers or a single character class, so each pass is linear in the
// input; no word-boundary escapes, no lookbehind (older iOS JavaScriptCore).

import {
  areaCodeLength,
  cardIssuer,
  checkLegacyId,
  checkResidentId,
  hkIdCheckChar,
  isBirthDate,
  isEmailTld,
  isKnownMobilePrefix,
  isProvinceCode,
  isUsccShape,
  luhn,
  twIdValid,
  usccCheckChar,
  type YMD,
} from './checks';
import { hasContext, hasNegativeContext, hasTaiwanPermitWord } from './context';
import { foldWidth } from './fold';
import { KEYWORD_GAP, MAX_ADDRESS_LENGTH, MAX_ENTITY_LENGTH } from './limits';
import { ENTITY_TYPES, type Candidate, type EntityType } from './types';

export interface RecogniseOptions {
  /** Birth dates after this YYYYMMDD are not real (the policy's reference date). */
  notAfter: YMD;
  /** Report 400/800 service numbers as CN_LANDLINE (off by default: they are business lines). */
  serviceNumbers: boolean;
}

interface Group {
  start: number;
  /** End of the digits (exclusive). */
  end: number;
  /** A trailing X/x follows the digits directly (end + 1 is then the word end). */
  x: boolean;
}

function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

function round2(x: number): number {
  return Math.round(Math.min(1, Math.max(0, x)) * 100) / 100;
}

class Collector {
  readonly out: Candidate[] = [];
  constructor(readonly folded: string) {}
  add(type: EntityType, start: number, end: number, score: number, validators: string[], context: boolean, normalized: string): void {
    if (end - start > MAX_ENTITY_LENGTH || end <= start) return;
    this.out.push({ type, start, end, score: round2(score), validators, context, normalized });
  }
}

/** All candidates in `input`, sorted by start then end. Offsets are UTF-16 offsets into `input`. */
export function findCandidates(input: string, options: RecogniseOptions): Candidate[] {
  const folded = foldWidth(input);
  const c = new Collector(folded);
  scanWords(folded, c, options);
  scanEmails(folded, c);
  if (folded.indexOf(':') >= 0) scanIpv6(folded, c);
  scanKeywords(folded, c);
  if (c.out.length > 1) c.out.sort(byPosition);
  return c.out;
}

const TYPE_ORDER = new Map<EntityType, number>(ENTITY_TYPES.map((t, i) => [t, i]));

function byPosition(a: Candidate, b: Candidate): number {
  return a.start - b.start || a.end - b.end || TYPE_ORDER.get(a.type)! - TYPE_ORDER.get(b.type)! || b.score - a.score;
}

// --- digit words and chunks -----------------------------------------------------------

const WORD_START_RE = /[0-9A-Za-z]/g;

function scanWords(folded: string, c: Collector, options: RecogniseOptions): void {
  let chunk: Group[] = [];
  let ipEnd = -1;
  const n = folded.length;
  let i = 0;
  while (i < n) {
    // Find the next alphanumeric word [start, end) without allocating: the regex engine
    // skips the (mostly CJK) text between words far faster than a JavaScript loop.
    WORD_START_RE.lastIndex = i;
    if (!WORD_START_RE.test(folded)) break;
    i = WORD_START_RE.lastIndex - 1;
    const start = i;
    let letters = 0;
    let lastLetter = -1;
    while (i < n) {
      const code = folded.charCodeAt(i);
      if (code >= 48 && code <= 57) i++;
      else if ((code >= 65 && code <= 90) || (code >= 97 && code <= 122)) {
        letters++;
        lastLetter = i;
        i++;
      } else break;
    }
    const end = i;
    const len = end - start;
    const lastCode = folded.charCodeAt(end - 1);
    const x = letters === 1 && lastLetter === end - 1 && len > 1 && (lastCode === 88 || lastCode === 120);
    // A plate: a word starting with a letter right after a CJK character, '·' or a space.
    const before = folded.charCodeAt(start - 1);
    if (folded.charCodeAt(start) >= 65 && (before >= 0x4e00 || before === 0xb7 || before === 32)) tryPlate(folded, start, c);
    if (letters > 0 && !x) {
      if (chunk.length) flushChunk(folded, chunk, c, options);
      chunk = [];
      // Letter words matter only with digits in them and 7..18 long (IDs, permits, USCC).
      if (len >= 7 && len <= 18 && letters < len) scanLetterWord(folded, folded.slice(start, end).toUpperCase(), start, end, c);
      continue;
    }
    const group: Group = { start, end: x ? end - 1 : end, x };
    if (len <= 3 && start >= ipEnd && folded.charCodeAt(end) === 46) ipEnd = scanIpv4(folded, start, c);
    const prev = chunk[chunk.length - 1];
    const sep = folded.charCodeAt(start - 1);
    if (prev && !prev.x && prev.end === start - 1 && (sep === 32 || sep === 45)) {
      chunk.push(group);
    } else {
      if (chunk.length) flushChunk(folded, chunk, c, options);
      chunk = [group];
    }
  }
  if (chunk.length) flushChunk(folded, chunk, c, options);
}

function digitCount(chunk: Group[], i: number, j: number): number {
  let n = 0;
  for (let k = i; k <= j; k++) n += chunk[k]!.end - chunk[k]!.start;
  return n;
}

function groupLength(g: Group): number {
  return g.end - g.start;
}

/** Punctuation that glues digits into a decimal or a thousands-grouped amount. */
function gluedLeft(folded: string, start: number): boolean {
  const ch = folded[start - 1];
  if (ch === '.' || ch === ',' || ch === ':' || ch === '/') return isDigitCode(folded.charCodeAt(start - 2));
  return false;
}
function gluedRight(folded: string, end: number): boolean {
  const ch = folded[end];
  if (ch === '.' || ch === ',' || ch === ':' || ch === '/') return isDigitCode(folded.charCodeAt(end + 1));
  return false;
}

/** 3-4-4 (optionally after 86 / 0086): a grouped mobile number, safe to cut out of a longer run of groups. */
function mobileShape(chunk: Group[], i: number, j: number, folded: string): boolean {
  let a = i;
  const g = chunk[i]!;
  const first = folded.slice(g.start, g.end);
  if ((first === '86' && folded[g.start - 1] === '+') || first === '0086') a++;
  if (j - a !== 2) return false;
  const edgeOk = (i === 0 || folded[chunk[i]!.start - 1] === ' ') && (j === chunk.length - 1 || folded[chunk[j]!.end] === ' ');
  return edgeOk && groupLength(chunk[a]!) === 3 && folded[chunk[a]!.start] === '1' && groupLength(chunk[a + 1]!) === 4 && groupLength(chunk[a + 2]!) === 4;
}

function flushChunk(folded: string, chunk: Group[], c: Collector, options: RecogniseOptions): void {
  const k = chunk.length - 1;
  // Nothing shorter than 7 digits is ever reported: skip short runs without building strings.
  if (digitCount(chunk, 0, k) < 7) return;
  // (021)64041234-8001: a bracketed area code, the number, and an extension group.
  const g0 = chunk[0]!;
  if (folded[g0.start - 1] === ')' && k >= 1 && !g0.x && (groupLength(g0) === 7 || groupLength(g0) === 8)) {
    const ext = chunk[1]!;
    if (folded[g0.end] === '-' && groupLength(ext) <= 5 && !ext.x) {
      parenLandline(folded, folded.slice(g0.start, g0.end), g0.start, ext.end, c, folded.slice(ext.start, ext.end));
    }
  }
  for (let i = 0; i <= k; i++) {
    for (let j = i; j <= k; j++) {
      const n = digitCount(chunk, i, j);
      if (n > 19) break;
      if (n < 7) continue;
      if (chunk[j]!.x && j !== k) break;
      const whole = i === 0 && j === k;
      if (!whole && !mobileShape(chunk, i, j, folded)) {
        // A range inside a longer run of groups: only when set off by spaces from long neighbours
        // (two values side by side), never a slice of one long grouped number.
        if (i > 0 && (folded[chunk[i]!.start - 1] !== ' ' || (j > i && groupLength(chunk[i - 1]!) < 7))) continue;
        if (j < k && (folded[chunk[j]!.end] !== ' ' || (j > i && groupLength(chunk[j + 1]!) < 7))) continue;
        if (i === j && ((i > 0 && groupLength(chunk[i - 1]!) < 7) || (j < k && groupLength(chunk[j + 1]!) < 7)) && n < 11) continue;
      }
      const first = chunk[i]!;
      const lastG = chunk[j]!;
      const start = first.start;
      const end = lastG.x ? lastG.end + 1 : lastG.end;
      if (i === 0 && gluedLeft(folded, start)) continue;
      if (j === k && gluedRight(folded, end)) continue;
      let digits = '';
      const sizes: number[] = [];
      for (let g = i; g <= j; g++) {
        digits += folded.slice(chunk[g]!.start, chunk[g]!.end);
        sizes.push(groupLength(chunk[g]!));
      }
      classifyDigits(folded, digits, sizes, lastG.x, start, end, c, options);
    }
  }
}

function classifyDigits(
  folded: string,
  digits: string,
  sizes: number[],
  x: boolean,
  start: number,
  end: number,
  c: Collector,
  options: RecogniseOptions,
): void {
  const n = digits.length;
  if (x) {
    if (n === 17) residentId(folded, digits + 'X', start, end, c, options);
    if (n === 17) uscc(folded, digits + 'X', start, end, c);
    return;
  }
  if (n === 18) {
    residentId(folded, digits, start, end, c, options);
    uscc(folded, digits, start, end, c);
  }
  if (n === 15) legacyId(folded, digits, start, end, c, options);
  if (n >= 15 && n <= 19) bankCard(folded, digits, start, end, c);
  mobile(folded, digits, sizes, start, end, c);
  landline(folded, digits, sizes, start, end, c, options);
  if ((n === 7 || n === 8) && sizes.length === 1 && folded[start - 1] === ')') parenLandline(folded, digits, start, end, c);
  // Bare 8-digit Taiwan permit: only after 台胞证 and the like, and never a date (有效期至20300101).
  if (n === 8 && sizes.length === 1 && hasTaiwanPermitWord(folded, start, end) && !isBirthDate(digits, 20991231)) {
    c.add('TW_PERMIT', start, end, 0.8, ['format'], true, digits);
  }
  if (n === 7 && sizes.length === 1 && /^[1578]$/.test(digits[0]!)) {
    // Macao resident ID: 7 digits and a check digit in brackets, e.g. 1234567(8).
    if (folded[end] === '(' && isDigitCode(folded.charCodeAt(end + 1)) && folded[end + 2] === ')') {
      const ctx = hasContext(folded, 'MO_ID', start, end + 3);
      c.add('MO_ID', start, end + 3, ctx ? 0.9 : 0.7, ['format'], ctx, digits + folded[end + 1]);
    }
  }
}

function residentId(folded: string, id: string, start: number, end: number, c: Collector, o: RecogniseOptions): void {
  const check = checkResidentId(id, o.notAfter);
  const ctx = hasContext(folded, 'CN_ID', start, end);
  const validators: string[] = [];
  if (check.province) validators.push('province');
  if (check.birthDate) validators.push('birth-date');
  if (check.checksum) validators.push('mod11-2');
  let score: number;
  if (check.province && check.birthDate && check.checksum) score = 0.97;
  else if (check.province && check.birthDate) score = 0.35;
  else score = 0.2;
  if (ctx) score += check.checksum ? 0.03 : 0.25;
  else if (hasNegativeContext(folded, start, end)) score -= 0.3;
  c.add('CN_ID', start, end, score, validators, ctx, id);
}

function uscc(folded: string, code: string, start: number, end: number, c: Collector): void {
  if (!isUsccShape(code)) return;
  if (!/^[1-9ANY][1-9]$/.test(code.slice(0, 2))) return;
  // The region part starts with a province code (10: central-level bodies).
  const province = code.slice(2, 4);
  if (province !== '10' && !isProvinceCode(province)) return;
  const ok = usccCheckChar(code) === code[17];
  const ctx = hasContext(folded, 'USCC', start, end);
  let score = ok ? 0.93 : 0.3;
  if (ctx) score += ok ? 0.05 : 0.3;
  c.add('USCC', start, end, score, ok ? ['alphabet', 'mod31'] : ['alphabet'], ctx, code);
}

function legacyId(folded: string, id: string, start: number, end: number, c: Collector, o: RecogniseOptions): void {
  if (!hasContext(folded, 'CN_ID15', start, end)) return;
  const check = checkLegacyId(id, o.notAfter);
  if (!check.province || !check.birthDate) return;
  c.add('CN_ID15', start, end, 0.85, ['province', 'birth-date'], true, id);
}

function bankCard(folded: string, digits: string, start: number, end: number, c: Collector): void {
  // ISO/IEC 7812 industry 89 is telecoms: SIM ICCIDs are 19-20 Luhn-valid digits, never bank cards.
  if (digits.charCodeAt(0) === 56 && digits.charCodeAt(1) === 57) return;
  const ok = luhn(digits);
  const issuer = cardIssuer(digits);
  const ctx = hasContext(folded, 'BANK_CARD', start, end);
  const validators: string[] = [];
  if (ok) validators.push('luhn');
  if (issuer) validators.push('issuer');
  let score: number;
  if (digits.length === 15) {
    // Only American Express uses 15 digits; IMEIs are 15 Luhn-valid digits too, so context decides.
    if (!(ok && issuer) || !ctx) return;
    score = 0.9;
  } else if (ok && issuer) score = 0.9;
  else if (ok) score = 0.45;
  else if (issuer) score = 0.3;
  else score = 0.2;
  if (ctx) score += 0.3;
  else if (hasNegativeContext(folded, start, end)) score -= 0.45;
  c.add('BANK_CARD', start, end, score, validators, ctx, digits);
}

function mobile(folded: string, digits: string, sizes: number[], start: number, end: number, c: Collector): void {
  let number = digits;
  let from = start;
  const n = digits.length;
  if (n === 15 && digits.startsWith('0086')) number = digits.slice(4);
  else if (n === 13 && digits.startsWith('86') && folded[start - 1] === '+') {
    number = digits.slice(2);
    from = start - 1;
  } else if (n !== 11) return;
  if (sizes.length > 1 && sizes[0] !== 11 && number === digits && sizes[0] !== 3 && sizes[0] !== 7) return;
  if (number.charCodeAt(0) !== 49 || number.charCodeAt(1) < 51) return;
  if (n === 11 && folded[start - 1] === '+') return; // an international number of another country
  const known = isKnownMobilePrefix(number);
  const ctx = hasContext(folded, 'CN_MOBILE', from, end);
  let score = known ? 0.85 : 0.55;
  if (number !== digits) score += 0.05;
  if (ctx) score += 0.1;
  else if (hasNegativeContext(folded, from, end)) score -= 0.4;
  c.add('CN_MOBILE', from, end, score, known ? ['format', 'prefix'] : ['format'], ctx, number);
}

const PAREN_AREA_RE = /\((0[0-9]{2,3})\)$/;

/** (010)62345678 and (0755) 1234567: the area code in brackets right before the number. */
function parenLandline(folded: string, local: string, start: number, end: number, c: Collector, ext = ''): void {
  const m = PAREN_AREA_RE.exec(folded.slice(Math.max(0, start - 6), start));
  if (!m) return;
  const area = m[1]!;
  if (areaCodeLength(area) !== area.length || local[0] === '0' || local[0] === '1') return;
  if (area.length === 3 && local.length !== 8) return;
  const from = start - m[0].length;
  if (/[0-9A-Za-z]/.test(folded[from - 1] ?? '')) return;
  const ctx = hasContext(folded, 'CN_LANDLINE', from, end);
  let score = ext ? 0.85 : 0.8;
  if (ctx) score += 0.15;
  else if (hasNegativeContext(folded, from, end)) score -= 0.4;
  c.add('CN_LANDLINE', from, end, score, ext ? ['area-code', 'extension'] : ['area-code'], ctx, area + local + ext);
}

const EXT_RE = /(?:转|ext\.?|分机)([0-9]{1,5})/iy;

function landline(
  folded: string,
  digits: string,
  sizes: number[],
  start: number,
  end: number,
  c: Collector,
  o: RecogniseOptions,
): void {
  const n = digits.length;
  // 400 / 800 service numbers: 10 digits, business lines; reported only when the policy asks.
  if ((digits.startsWith('400') || digits.startsWith('800')) && n === 10) {
    if (o.serviceNumbers) c.add('CN_LANDLINE', start, end, 0.8, ['service-number'], hasContext(folded, 'CN_LANDLINE', start, end), digits);
    return;
  }
  const area = areaCodeLength(digits);
  if (area === 0) return;
  let local: string;
  let ext = '';
  if (sizes.length === 1) {
    if (n !== 11 && n !== 12) return;
    if (area === 3 && n !== 11) return;
    local = digits.slice(area);
  } else {
    if (sizes[0] !== area) return;
    let localLen = 0;
    let g = 1;
    for (; g < sizes.length && localLen < 7; g++) localLen += sizes[g]!;
    if (localLen < 7 || localLen > 8) return;
    if (g < sizes.length) {
      if (g !== sizes.length - 1 || sizes[g]! > 5) return;
      ext = digits.slice(area + localLen);
    }
    local = digits.slice(area, area + localLen);
  }
  if (local.length < 7 || local.length > 8 || local[0] === '0' || local[0] === '1') return;
  if (area === 3 && local.length !== 8) return;
  let to = end;
  const validators = ['area-code'];
  // Extension written as 转801 / ext 801.
  EXT_RE.lastIndex = end;
  const m = EXT_RE.exec(folded);
  if (m && !isDigitCode(folded.charCodeAt(end + m[0].length))) {
    to = end + m[0].length;
    ext = m[1]!;
  }
  if (ext) validators.push('extension');
  const ctx = hasContext(folded, 'CN_LANDLINE', start, to);
  let score = sizes.length > 1 ? 0.75 : 0.55;
  if (folded[start - 1] === ')' || ext) score += 0.05;
  if (ctx) score += 0.15;
  else if (hasNegativeContext(folded, start, to)) score -= 0.4;
  c.add('CN_LANDLINE', start, to, score, validators, ctx, digits + (to > end ? ext : ''));
}

// --- IPv4 ----------------------------------------------------------------------------

const IPV4_RE = /([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})/y;

/** Tries an IPv4 address at `start`; returns the end of what was examined. */
function scanIpv4(folded: string, start: number, c: Collector): number {
  IPV4_RE.lastIndex = start;
  const m = IPV4_RE.exec(folded);
  if (!m) return start;
  const end = start + m[0].length;
  if (folded[start - 1] === '.' || isDigitCode(folded.charCodeAt(end))) return end;
  if (folded[end] === '.' && isDigitCode(folded.charCodeAt(end + 1))) return end;
  if (/[A-Za-z0-9_]/.test(folded[end] ?? '')) return end;
  const octets = [m[1]!, m[2]!, m[3]!, m[4]!];
  for (const o of octets) if (Number(o) > 255 || (o.length > 1 && o[0] === '0')) return end;
  const before = folded.slice(Math.max(0, start - 12), start).toLowerCase();
  if (/[vV]$/.test(folded.slice(start - 1, start)) || /版本|version|ver|升级|更新到|build|v$/.test(before)) return end;
  const ctx = hasContext(folded, 'IPV4', start, end);
  let score = octets.every((o) => o.length === 1) ? 0.4 : 0.8;
  if (ctx) score += 0.15;
  c.add('IPV4', start, end, score, ['octets'], ctx, octets.join('.'));
  return end;
}

// --- letters and digits ------------------------------------------------------------------

const PASSPORT_RE = /^(?:E[0-9]{8}|E[A-HJ-NP-Z][0-9]{7}|[GDSP][0-9]{8})$/;
const HK_MO_PERMIT_RE = /^(?:C[0-9A-HJ-NP-Z][0-9]{7}|W[0-9]{8}|[HM][0-9]{8}|[HM][0-9]{10})$/;
const TW_PERMIT_RE = /^L[0-9]{8}$/;
const TW_ID_RE = /^[A-Z][1289][0-9]{8}$/;
const HK_ID_RE = /^([A-Z]{1,2}[0-9]{6})([0-9A])?$/;

function scanLetterWord(folded: string, word: string, start: number, end: number, c: Collector): void {
  const n = word.length;
  if (n < 7 || n > 18) return;
  if (n === 18) {
    uscc(folded, word, start, end, c);
    return;
  }
  if (n === 9 || n === 11) {
    if (PASSPORT_RE.test(word)) {
      const ctx = hasContext(folded, 'CN_PASSPORT', start, end);
      c.add('CN_PASSPORT', start, end, ctx ? 0.95 : 0.65, ['format'], ctx, word);
    } else if (HK_MO_PERMIT_RE.test(word)) {
      const ctx = hasContext(folded, 'HK_MO_PERMIT', start, end);
      c.add('HK_MO_PERMIT', start, end, ctx ? 0.95 : 0.65, ['format'], ctx, word);
    } else if (TW_PERMIT_RE.test(word)) {
      const ctx = hasContext(folded, 'TW_PERMIT', start, end);
      c.add('TW_PERMIT', start, end, ctx ? 0.95 : 0.65, ['format'], ctx, word);
    }
  }
  if (n === 10 && TW_ID_RE.test(word) && twIdValid(word)) {
    const ctx = hasContext(folded, 'TW_ID', start, end);
    c.add('TW_ID', start, end, ctx ? 0.95 : 0.85, ['format', 'check-digit'], ctx, word);
  }
  const hk = HK_ID_RE.exec(word);
  if (hk) {
    const body = hk[1]!;
    let check = hk[2];
    let to = end;
    let bracketed = false;
    if (check === undefined && folded[end] === '(' && folded[end + 2] === ')') {
      check = folded[end + 1]!.toUpperCase();
      to = end + 3;
      bracketed = true;
    }
    if (check === undefined || !/^[0-9A]$/.test(check)) return;
    const ok = hkIdCheckChar(body) === check;
    const ctx = hasContext(folded, 'HK_ID', start, to);
    if (!ok && !ctx) return;
    let score = ok ? (bracketed ? 0.9 : 0.6) : 0.55;
    if (ctx && ok) score += 0.08;
    c.add('HK_ID', start, to, score, ok ? ['format', 'check-digit'] : ['format'], ctx, body + check);
  }
}

// --- e-mail ----------------------------------------------------------------------------

function isLocalChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45;
}
function isDomainChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 46 || c === 45;
}

function scanEmails(folded: string, c: Collector): void {
  for (let at = folded.indexOf('@'); at >= 0; at = folded.indexOf('@', at + 1)) {
    let s = at;
    while (s > 0 && at - s < 64 && isLocalChar(folded.charCodeAt(s - 1))) s--;
    if (s === at || (s > 0 && isLocalChar(folded.charCodeAt(s - 1)))) continue;
    while (folded[s] === '.') s++;
    if (s === at) continue;
    let e = at + 1;
    while (e < folded.length && e - at <= 64 && isDomainChar(folded.charCodeAt(e))) e++;
    if (isDomainChar(folded.charCodeAt(e))) continue;
    while (e > at + 1 && (folded[e - 1] === '.' || folded[e - 1] === '-')) e--;
    const domain = folded.slice(at + 1, e);
    const labels = domain.split('.');
    if (labels.length < 2 || labels.some((l) => l.length === 0 || l.length > 63 || l[0] === '-')) continue;
    const tld = labels[labels.length - 1]!;
    if (!/^[A-Za-z]{2,24}$/.test(tld) || !isEmailTld(tld)) continue;
    if (folded[at - 1] === '.') continue;
    const ctx = hasContext(folded, 'EMAIL', s, e);
    c.add('EMAIL', s, e, ctx ? 0.97 : 0.9, ['format', 'tld'], ctx, folded.slice(s, e).toLowerCase());
  }
}

// --- IPv6 --------------------------------------------------------------------------------

function isHexCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

function scanIpv6(folded: string, c: Collector): void {
  let pos = 0;
  for (let colon = folded.indexOf(':'); colon >= 0; colon = folded.indexOf(':', Math.max(colon + 1, pos))) {
    if (colon < pos) continue;
    let s = colon;
    while (s > 0 && colon - s < 40 && (isHexCode(folded.charCodeAt(s - 1)) || folded[s - 1] === ':')) s--;
    let e = colon + 1;
    while (e < folded.length && e - s < 45 && (isHexCode(folded.charCodeAt(e)) || folded[e] === ':')) e++;
    pos = e;
    if (/[A-Za-z0-9_.:]/.test(folded[s - 1] ?? '') || /[A-Za-z0-9_:]/.test(folded[e] ?? '')) continue;
    const text = folded.slice(s, e);
    if (!validIpv6(text)) continue;
    const ctx = hasContext(folded, 'IPV6', s, e);
    c.add('IPV6', s, e, ctx ? 0.95 : 0.8, ['groups'], ctx, text.toLowerCase());
  }
}

function validIpv6(text: string): boolean {
  const double = text.indexOf('::');
  if (double >= 0 && text.indexOf('::', double + 1) >= 0) return false;
  if (text.includes(':::')) return false;
  const parts = text.split(':');
  const groups = parts.filter((p) => p.length > 0);
  if (groups.some((g) => g.length > 4)) return false;
  if (double < 0) {
    if (parts.length !== 8 || groups.length !== 8) return false;
  } else {
    if (groups.length < 2 || groups.length > 7) return false;
    if ((text.startsWith(':') && !text.startsWith('::')) || (text.endsWith(':') && !text.endsWith('::'))) return false;
    // Needs a hex letter or a long group: "12::30" is more likely a time than an address.
    if (!groups.some((g) => g.length >= 3 || /[a-fA-F]/.test(g))) return false;
  }
  return true;
}

// --- licence plates (GA 36-2018) ----------------------------------------------------------

const PLATE_PROVINCES = '京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼';
const PLATE_RE = /[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][· ]?[A-HJ-NP-Za-hj-np-z][· ]?[0-9A-HJ-NP-Za-hj-np-z]{4,6}[挂学警港澳领]?/y;
const NEW_ENERGY_RE = /^(?:[DFABCEGHJK][A-HJ-NP-Z0-9][0-9]{4}|[0-9]{5}[DFABCEGHJK])$/;

/**
 * Called for every word that starts with a letter: a plate is a province character (then an
 * optional '·' or space) right before it. Driven by the word scan, so the text is not scanned
 * again for the 31 province characters.
 */
function tryPlate(folded: string, wordStart: number, c: Collector): void {
  let p = wordStart - 1;
  const sep = folded[p];
  if (sep === '·' || sep === ' ') p--;
  if (p < 0 || PLATE_PROVINCES.indexOf(folded[p]!) < 0) return;
  PLATE_RE.lastIndex = p;
  const m = PLATE_RE.exec(folded);
  if (!m) return;
  const start = p;
  const end = start + m[0].length;
  if (/[A-Za-z0-9]/.test(folded[end] ?? '')) return;
  const raw = m[0].toUpperCase().replace(/[· ]/g, '');
  const tail = raw.slice(2);
  const suffix = /[挂学警港澳领]$/.test(tail);
  const serial = suffix ? tail.slice(0, -1) : tail;
  let ok: boolean;
  if (suffix) ok = serial.length === 4 && /^[0-9]{4}$/.test(serial);
  else if (serial.length === 6) ok = NEW_ENERGY_RE.test(serial);
  else ok = serial.length === 5 && /[0-9]/.test(serial) && /^[A-HJ-NP-Z0-9]{5}$/.test(serial);
  if (!ok) return;
  const ctx = hasContext(folded, 'PLATE', start, end);
  c.add('PLATE', start, end, ctx ? 0.95 : 0.75, ['format'], ctx, raw);
}

// --- keyword-driven: QQ, WeChat ID, names, addresses --------------------------------------

// Case variants spelled out: a case-insensitive alternation is markedly slower in V8.
const KEYWORD_RE = /[qQ][qQ]|扣扣|企鹅号|微信号?|[vV][xX]|[wW][xX]|加[vV]|[vV]信|[wW][eE][cC][hH][aA][tT]|威信|薇信|姓名|联系人|收件人|收货人|患者|病人|我叫|当事人|证人|委托人|候选人|来信人|新员工|业主代表|地址|住址|住在|家住|寄到|送到/g;
const GAP_RE = /[:：是为号码 \t，,]{0,4}/y;
const QQ_RE = /[1-9][0-9]{4,10}/y;
const WECHAT_RE = /[A-Za-z][-_A-Za-z0-9]{5,19}/y;
const COMPOUND_SURNAMES = '欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 令狐 宇文 司徒 夏侯'.split(' ');
const SURNAMES =
  '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝';
const NAME_STOP = new Set('的了在是和说先女老同你我他她们电手号地住联家病医律师生士姐哥弟妹总经理主任科室部门院所公司上下午今昨去来用单况属情床房费到给把被就也都还要会能这那个有没不吗呢吧啊呀哦嗯啦很太好请问谢收件货人址，。！？、；：'.split(''));
const ADDRESS_PLACE = /[省市区县镇乡村路街道巷]/;
const ADDRESS_END = /[号室栋幢楼座弄]/;

function isCjk(code: number): boolean {
  return code >= 0x4e00 && code <= 0x9fff;
}

function scanKeywords(folded: string, c: Collector): void {
  KEYWORD_RE.lastIndex = 0;
  for (let m = KEYWORD_RE.exec(folded); m !== null; m = KEYWORD_RE.exec(folded)) {
    const kw = m[0].toLowerCase();
    GAP_RE.lastIndex = m.index + m[0].length;
    GAP_RE.exec(folded);
    const at = GAP_RE.lastIndex;
    if (at - (m.index + m[0].length) > KEYWORD_GAP) continue;
    if (kw === 'qq' || kw === '扣扣' || kw === '企鹅号') {
      if (/[A-Za-z]/.test(folded[m.index - 1] ?? '') && kw === 'qq') continue;
      QQ_RE.lastIndex = at;
      const v = QQ_RE.exec(folded);
      if (!v || /[0-9A-Za-z]/.test(folded[at + v[0].length] ?? '') || folded[at + v[0].length] === '@') continue;
      c.add('QQ', at, at + v[0].length, 0.85, ['format'], true, v[0]);
    } else if (/^(微信号?|vx|wx|加v|v信|wechat|威信|薇信)$/.test(kw)) {
      if (/[A-Za-z]/.test(folded[m.index - 1] ?? '') && /^[a-z]/.test(kw)) continue;
      WECHAT_RE.lastIndex = at;
      const v = WECHAT_RE.exec(folded);
      if (!v) continue;
      const end = at + v[0].length;
      if (/[-_A-Za-z0-9@.]/.test(folded[end] ?? '')) continue;
      c.add('WECHAT_ID', at, end, 0.85, ['format'], true, v[0].toLowerCase());
    } else if (/^(地址|住址|住在|家住|寄到|送到)$/.test(kw)) {
      // The run ends after a numbered building/number mark (88号, 20栋, A座) unless a unit number follows,
      // else at the last road/place mark; so it never runs on into the next sentence.
      let e = at;
      let cut = -1;
      while (e < folded.length && e - at < MAX_ADDRESS_LENGTH) {
        const code = folded.charCodeAt(e);
        if (!(isCjk(code) || isDigitCode(code) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 45 || code === 35)) break;
        e++;
        const before = folded.charCodeAt(e - 2);
        if (ADDRESS_END.test(folded[e - 1]!) && e - 2 >= at && (isDigitCode(before) || (before >= 65 && before <= 90) || (before >= 97 && before <= 122))) {
          cut = e;
          const next = folded.charCodeAt(e);
          if (!(isDigitCode(next) || (next >= 65 && next <= 90) || (next >= 97 && next <= 122) || next === 45)) break;
        }
      }
      if (cut < 0) for (let k = e - 1; k >= at && cut < 0; k--) if (ADDRESS_PLACE.test(folded[k]!)) cut = k + 1;
      if (cut < 0) continue;
      const value = folded.slice(at, cut);
      if (value.length < 6 || !ADDRESS_PLACE.test(value)) continue;
      c.add('ADDRESS', at, cut, 0.6, ['template'], true, value);
    } else {
      const name = readName(folded, at);
      if (name > 0) c.add('PERSON', at, at + name, 0.6, ['template', 'surname'], true, folded.slice(at, at + name));
    }
  }
}

/** Length of a Chinese name starting at `at` (surname + 1-2 given characters), or 0. */
function readName(folded: string, at: number): number {
  let surname = 0;
  const two = folded.slice(at, at + 2);
  if (COMPOUND_SURNAMES.includes(two)) surname = 2;
  else if (SURNAMES.includes(folded[at] ?? '\u0000')) surname = 1;
  if (surname === 0) return 0;
  let given = 0;
  while (given < 2) {
    const ch = folded[at + surname + given];
    if (ch === undefined || !isCjk(ch.charCodeAt(0)) || NAME_STOP.has(ch)) break;
    given++;
  }
  return given === 0 ? 0 : surname + given;
}
