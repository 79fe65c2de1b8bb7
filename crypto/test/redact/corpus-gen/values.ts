// Value generators for the labelled corpus. Written independently of crypto/src/redact:
// the check digits are computed here from the standards, not by calling the recognisers,
// so a bug in one cannot hide in the other. Each returns the value as written in a chat,
// with the format variant chosen by the caller.

import type { Rng } from './rng';

// --- check digits (independent implementations) ------------------------------------------

/** GB 11643-1999 check character: sum of digit * (2^(17-i) mod 11), then (12 - sum mod 11) mod 11. */
export function gbIdCheck(body17: string): string {
  let total = 0;
  for (let i = 0; i < 17; i++) {
    const weight = Math.pow(2, 17 - i) % 11;
    total += Number(body17[i]) * weight;
  }
  const v = (12 - (total % 11)) % 11;
  return v === 10 ? 'X' : String(v);
}

/** Appends a Luhn check digit to `body`. */
export function withLuhn(body: string): string {
  const digits = body.split('').map(Number).reverse();
  let total = 0;
  digits.forEach((d, i) => {
    // With the check digit appended, the body's last digit sits at an even position from the right: doubled.
    if (i % 2 === 0) {
      const x = d * 2;
      total += x > 9 ? x - 9 : x;
    } else total += d;
  });
  return body + String((10 - (total % 10)) % 10);
}

export function luhnOk(s: string): boolean {
  return withLuhn(s.slice(0, -1)) === s;
}

const CREDIT_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';

/** GB 32100-2015: weights 3^i mod 31, check = 31 - sum mod 31 (31 -> 0). */
export function usccCheck(body17: string): string {
  let total = 0;
  let w = 1;
  for (let i = 0; i < 17; i++) {
    total += CREDIT_CHARS.indexOf(body17[i]!) * w;
    w = (w * 3) % 31;
  }
  const v = 31 - (total % 31);
  return CREDIT_CHARS[v === 31 ? 0 : v]!;
}

/** Hong Kong ID check (mod 11, A for 10). */
export function hkCheck(prefix: string, six: string): string {
  const vals = (prefix.length === 1 ? [36, prefix.charCodeAt(0) - 64 + 9] : [prefix.charCodeAt(0) - 55, prefix.charCodeAt(1) - 55]);
  let total = vals[0]! * 9 + vals[1]! * 8;
  for (let i = 0; i < 6; i++) total += Number(six[i]) * (7 - i);
  const r = total % 11;
  const v = r === 0 ? 0 : 11 - r;
  return v === 10 ? 'A' : String(v);
}

const TW_CODES: Record<string, number> = {
  A: 10, B: 11, C: 12, D: 13, E: 14, F: 15, G: 16, H: 17, I: 34, J: 18, K: 19, L: 20, M: 21,
  N: 22, O: 35, P: 23, Q: 24, R: 25, S: 26, T: 27, U: 28, V: 29, W: 32, X: 30, Y: 31, Z: 33,
};

export function twIdCheck(letter: string, eight: string): string {
  const code = TW_CODES[letter]!;
  const w = [8, 7, 6, 5, 4, 3, 2, 1];
  let total = Math.floor(code / 10) + (code % 10) * 9;
  for (let i = 0; i < 8; i++) total += Number(eight[i]) * w[i]!;
  return String((10 - (total % 10)) % 10);
}

// --- helpers -----------------------------------------------------------------------------

export function toFullWidth(s: string): string {
  return s.replace(/[0-9A-Za-z]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) + 0xfee0));
}

function groupAs(s: string, sizes: number[], sep: string): string {
  const out: string[] = [];
  let i = 0;
  for (const n of sizes) {
    if (i >= s.length) break;
    out.push(s.slice(i, i + n));
    i += n;
  }
  if (i < s.length) out.push(s.slice(i));
  return out.join(sep);
}

const PROVINCE_PREFIXES = ['110105', '110108', '120101', '130102', '310104', '310115', '320102', '330106', '340104', '350203', '370202', '410105', '420106', '430104', '440106', '440305', '450103', '500103', '510107', '530102', '610113', '620102', '650102', '210102', '220102', '230103', '360102', '460105', '520102', '640104'];

export function birthDate(rng: Rng, maxYear = 2018): string {
  const y = rng.int(1940, maxYear);
  const m = rng.int(1, 12);
  const dim = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
  const d = rng.int(1, dim);
  return `${y}${String(m).padStart(2, '0')}${String(d).padStart(2, '0')}`;
}

// --- entity generators -------------------------------------------------------------------

export function cnId(rng: Rng): string {
  const kind = rng.int(0, 19);
  let region: string;
  if (kind === 0) region = rng.pick(['810000', '820000', '830000']);
  else if (kind === 1) region = '9' + rng.pick(['11', '31', '44', '32']) + rng.pick(['156', '840', '392', '410']).slice(0, 3);
  else region = rng.pick(PROVINCE_PREFIXES);
  const body = region.slice(0, 6) + birthDate(rng) + rng.digits(3);
  const id = body + gbIdCheck(body);
  const variant = rng.int(0, 9);
  if (variant === 0) return groupAs(id, [6, 8, 4], ' ');
  if (variant === 1) return toFullWidth(id);
  if (variant === 2) return id.replace('X', 'x');
  if (variant === 3) return groupAs(id, [6, 8, 4], '-');
  return id;
}

/** A valid-looking ID whose check character is wrong. */
export function cnIdBadCheck(rng: Rng): string {
  const body = rng.pick(PROVINCE_PREFIXES) + birthDate(rng) + rng.digits(3);
  const good = gbIdCheck(body);
  const bad = '0123456789X'.replace(good, '');
  return body + bad[rng.int(0, bad.length - 1)]!;
}

export function cnId15(rng: Rng): string {
  return rng.pick(PROVINCE_PREFIXES) + birthDate(rng, 1999).slice(2) + rng.digits(3);
}

export function bankCard(rng: Rng): string {
  const kind = rng.int(0, 9);
  let body: string;
  if (kind <= 4) {
    const len = rng.pick([16, 17, 18, 19, 19, 16]);
    body = rng.pick(['622202', '622848', '621700', '622588', '623668', '621483', '622609', '625965']) + rng.digits(len - 7);
  } else if (kind === 5) body = '4' + rng.digits(14);
  else if (kind === 6) body = String(rng.int(51, 55)) + rng.digits(13);
  else if (kind === 7) body = String(rng.int(2221, 2720)) + rng.digits(11);
  else if (kind === 8) body = String(rng.int(3528, 3589)) + rng.digits(11);
  else body = '60' + rng.digits(14 + rng.int(0, 2));
  const card = withLuhn(body);
  const variant = rng.int(0, 5);
  if (variant === 0) return groupAs(card, [4, 4, 4, 4, 4], ' ');
  if (variant === 1) return groupAs(card, [4, 4, 4, 4, 4], '-');
  if (variant === 2) return toFullWidth(card);
  return card;
}

const MOBILE_PREFIXES = ['130', '131', '132', '133', '135', '136', '137', '138', '139', '145', '147', '150', '151', '152', '153', '155', '156', '157', '158', '159', '162', '166', '170', '171', '173', '175', '176', '177', '178', '180', '181', '182', '183', '185', '186', '187', '188', '189', '191', '193', '195', '198', '199'];

export function mobile(rng: Rng): string {
  const n = rng.pick(MOBILE_PREFIXES) + rng.digits(8);
  switch (rng.int(0, 9)) {
    case 0:
      return groupAs(n, [3, 4, 4], ' ');
    case 1:
      return groupAs(n, [3, 4, 4], '-');
    case 2:
      return '+86 ' + n;
    case 3:
      return '+86-' + groupAs(n, [3, 4, 4], '-');
    case 4:
      return '0086' + n;
    case 5:
      return toFullWidth(n);
    case 6:
      return '+86' + n;
    default:
      return n;
  }
}

export function landline(rng: Rng): string {
  const three = rng.chance(0.4);
  const area = three ? rng.pick(['010', '020', '021', '022', '023', '024', '025', '027', '028', '029']) : rng.pick(['0755', '0571', '0512', '0731', '0591', '0532', '0871', '0451', '0311', '0898']);
  const local = String(rng.int(2, 8)) + rng.digits(three ? 7 : rng.pick([6, 7]));
  switch (rng.int(0, 5)) {
    case 0:
      return `(${area})${local}`;
    case 1:
      return `${area} ${local}`;
    case 2:
      return `${area}-${local}-${rng.int(100, 9999)}`;
    case 3:
      return `${area}-${local}转${rng.int(100, 999)}`;
    default:
      return `${area}-${local}`;
  }
}

const LOCALS = ['zhangwei', 'li.na', 'wang_fang', 'liuyang88', 'chenjing', 'yang.lei', 'zhao_min', 'hr', 'lawyer.sun', 'dr.zhou', 'xiaoming2010', 'jenny.wu', 'kevin_lin', 'reporter.he', 'mama.lin'];
const DOMAINS = ['qq.com', '163.com', '126.com', 'sina.com', 'gmail.com', 'outlook.com', 'foxmail.com', 'company.com.cn', 'lawfirm.cn', 'hospital.org.cn', 'pku.edu.cn', 'sohu.com', 'yahoo.com.hk', 'icloud.com'];

export function email(rng: Rng): string {
  const local = rng.chance(0.3) ? String(rng.int(10000, 9999999999)) : rng.pick(LOCALS) + (rng.chance(0.4) ? String(rng.int(1, 999)) : '');
  const e = `${local}@${rng.pick(DOMAINS)}`;
  return rng.chance(0.1) ? e.replace('@', '＠') : e;
}

export function ipv4(rng: Rng): string {
  const first = rng.pick([10, 172, 192, 47, 101, 114, 120, 223, 8, 58]);
  return `${first}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
}

export function ipv6(rng: Rng): string {
  const g = (): string => rng.int(0, 0xffff).toString(16);
  if (rng.chance(0.5)) return `2001:db8::${g()}:${g()}`;
  if (rng.chance(0.5)) return `fe80::${g()}:${g()}:${g()}:${g()}`;
  return `240e:${g()}:${g()}:${g()}:${g()}:${g()}:${g()}:${g()}`;
}

const PLATE_PROVINCES = '京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼';
const PLATE_LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ';

export function plate(rng: Rng): string {
  const p = PLATE_PROVINCES[rng.int(0, PLATE_PROVINCES.length - 1)]! + PLATE_LETTERS[rng.int(0, 12)]!;
  const kind = rng.int(0, 4);
  if (kind === 0) return p + rng.pick(['D', 'F']) + PLATE_LETTERS[rng.int(0, 20)] + rng.digits(4);
  if (kind === 1) return p + '·' + rng.digits(5);
  const serial = rng.digits(3) + PLATE_LETTERS[rng.int(0, 20)] + rng.digits(1);
  return p + (rng.chance(0.5) ? serial : rng.digits(5));
}

export function uscc(rng: Rng): string {
  const head = rng.pick(['91', '92', '93', '12', '52', '11', '51']);
  const region = rng.pick(['110000', '110108', '310115', '440300', '330100', '350100', '320500', '510100']);
  let org = '';
  for (let i = 0; i < 8; i++) org += rng.chance(0.25) ? CREDIT_CHARS[rng.int(10, 30)]! : String(rng.int(0, 9));
  org += CREDIT_CHARS[rng.int(0, 30)]!;
  const body = head + region + org;
  return body + usccCheck(body);
}

export function passport(rng: Rng): string {
  const k = rng.int(0, 2);
  if (k === 0) return 'E' + rng.digits(8);
  if (k === 1) return 'E' + PLATE_LETTERS[rng.int(0, 22)] + rng.digits(7);
  return rng.pick(['G', 'P', 'D', 'S']) + rng.digits(8);
}

export function hkMoPermit(rng: Rng): string {
  const k = rng.int(0, 2);
  if (k === 0) return 'C' + rng.digits(8);
  if (k === 1) return 'C' + PLATE_LETTERS[rng.int(0, 22)] + rng.digits(7);
  return rng.pick(['H', 'M']) + rng.digits(8);
}

export function twPermit(rng: Rng): { value: string; bare: boolean } {
  return rng.chance(0.5) ? { value: rng.digits(8), bare: true } : { value: 'L' + rng.digits(8), bare: false };
}

export function hkId(rng: Rng): string {
  const prefix = rng.chance(0.8) ? PLATE_LETTERS[rng.int(0, 23)]! : PLATE_LETTERS[rng.int(0, 23)]! + PLATE_LETTERS[rng.int(0, 23)]!;
  const six = rng.digits(6);
  const check = hkCheck(prefix, six);
  return rng.chance(0.7) ? `${prefix}${six}(${check})` : `${prefix}${six}${check}`;
}

export function moId(rng: Rng): string {
  return `${rng.pick(['1', '5', '7'])}${rng.digits(6)}(${rng.int(0, 9)})`;
}

export function twId(rng: Rng): string {
  const letter = 'ABCDEFGHJKLMNPQRSTUVXYWZIO'[rng.int(0, 25)]!;
  const eight = rng.pick(['1', '2']) + rng.digits(7);
  return letter + eight + twIdCheck(letter, eight);
}

export function qq(rng: Rng): string {
  return String(rng.int(1, 9)) + rng.digits(rng.int(4, 9));
}

export function wechatId(rng: Rng): string {
  const base = rng.pick(['wxid_', 'zhang', 'lily', 'Tom', 'mama', 'chen', 'law', 'doc', 'hr']);
  return base + rng.pick(['_', '', '-']) + rng.pick(['abc', 'xyz', 'qwe', 'yy', 'lin']) + rng.digits(rng.int(2, 6));
}

export const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何', '林', '罗', '郑', '梁', '谢', '宋', '唐', '韩', '冯', '邓', '曹', '彭', '曾', '欧阳', '司马'];
const GIVEN = ['伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛', '明', '超', '秀英', '霞', '平', '刚', '桂英', '建华', '志强', '晓燕', '子涵', '浩然', '雨轩', '思琪', '梓萱'];

export function person(rng: Rng): string {
  return rng.pick(SURNAMES) + rng.pick(GIVEN);
}

export function address(rng: Rng): string {
  const city = rng.pick(['北京市朝阳区', '上海市浦东新区', '广州市天河区', '深圳市南山区', '杭州市西湖区', '成都市武侯区', '南京市鼓楼区', '武汉市洪山区']);
  const road = rng.pick(['建国路', '世纪大道', '天河路', '科技园南路', '文三路', '人民南路', '中山路', '珞喻路']);
  return `${city}${road}${rng.int(1, 999)}号${rng.chance(0.5) ? `${rng.int(1, 30)}栋${rng.int(101, 2505)}室` : ''}`;
}
