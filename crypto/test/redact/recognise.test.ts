import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cardIssuer, hkIdCheckChar, idCheckChar, luhn, twIdValid, usccCheckChar } from '../../src/redact/checks';
import { foldWidth } from '../../src/redact/fold';
import { findCandidates } from '../../src/redact/recognise';
import { Rng } from './corpus-gen/rng';
import * as V from './corpus-gen/values';

const OPTS = { notAfter: 20260101, serviceNumbers: false };
const types = (text: string): string[] => findCandidates(text, OPTS).filter((c) => c.score >= 0.5).map((c) => `${c.type}:${text.slice(c.start, c.end)}`);

describe('check digits agree with the independent corpus generator', () => {
  it('ISO 7064 MOD 11-2, Luhn, GB 32100 mod 31, HKID, Taiwan ID', () => {
    const rng = new Rng(7);
    for (let i = 0; i < 2000; i++) {
      const body = rng.digits(17);
      expect(idCheckChar(body)).toBe(V.gbIdCheck(body));
      const card = V.withLuhn(rng.digits(rng.int(12, 18)));
      expect(luhn(card)).toBe(true);
      expect(luhn(card.slice(0, -1) + String((Number(card.slice(-1)) + 1) % 10))).toBe(false);
      const code = V.uscc(rng);
      expect(usccCheckChar(code)).toBe(code[17]);
      const hk = V.hkId(rng).replace(/[()]/g, '');
      expect(hkIdCheckChar(hk.slice(0, -1))).toBe(hk.slice(-1));
      expect(twIdValid(V.twId(rng))).toBe(true);
    }
  });

  it('knows the published example ID and rejects a one-digit change', () => {
    expect(idCheckChar('11010519491231002')).toBe('X');
    expect(types('身份证11010519491231002X')).toEqual(['CN_ID:11010519491231002X']);
    expect(types('身份证11010519491231003X').some((t) => t.startsWith('CN_ID'))).toBe(true); // context keeps a typo masked
    expect(types('号码 11010519491231003X')).toEqual([]);
  });

  it('issuer prefixes are length-aware', () => {
    expect(cardIssuer('6222021234567890')).toBe('unionpay');
    expect(cardIssuer('4111111111111111')).toBe('visa');
    expect(cardIssuer('411111111111111111')).toBe(null);
    expect(cardIssuer('371449635398431')).toBe('amex');
  });
});

describe('recognisers', () => {
  it('finds every format variant of a mobile number', () => {
    for (const v of ['13812345678', '138 1234 5678', '138-1234-5678', '+86 13812345678', '+86-138-1234-5678', '008613812345678', '１３８１２３４５６７８']) {
      const found = findCandidates(`电话${v}。`, OPTS).filter((c) => c.type === 'CN_MOBILE');
      expect(found.length, v).toBeGreaterThan(0);
      expect(found.some((c) => c.start === 2 && c.end === 2 + v.length), v).toBe(true);
    }
  });

  it('never matches inside a longer digit run or a decimal', () => {
    expect(types('913812345678')).toEqual([]);
    expect(types('138123456789')).toEqual([]);
    expect(types('a13812345678b')).toEqual([]);
    expect(types('1.13812345678')).toEqual([]);
    expect(types('13812345678.5')).toEqual([]);
    expect(types('订单号 2023110112345678901234567890')).toEqual([]);
  });

  it('works next to CJK and Latin text without word boundaries', () => {
    expect(types('我的手机13812345678你记一下')).toEqual(['CN_MOBILE:13812345678']);
    expect(types('邮箱zhangsan@qq.com谢谢')).toEqual(['EMAIL:zhangsan@qq.com']);
  });

  it('keeps offsets true through full-width folding', () => {
    const text = '号码：１３８ １２３４ ５６７８！';
    expect(foldWidth(text).length).toBe(text.length);
    const c = findCandidates(text, OPTS).find((x) => x.type === 'CN_MOBILE')!;
    expect(text.slice(c.start, c.end)).toBe('１３８ １２３４ ５６７８');
  });

  it('folding is one to one, idempotent and leaves CJK sentence marks alone', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'０９Ａｚ＠（）－　‐—・•，：！a1 中'.split('')), maxLength: 60 }), (s) => {
        const f = foldWidth(s);
        expect(f.length).toBe(s.length);
        expect(foldWidth(f)).toBe(f);
      }),
    );
    expect(foldWidth('１３８（０１０）＠ａ，：')).toBe('138(010)@a，：');
    let rope = '';
    for (let i = 0; i < 2000; i++) rope += '手机１３８' + i;
    expect(foldWidth(rope)).toBe(rope.replace(/[１３８]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)));
  });

  it('recognises each type in a typical sentence', () => {
    const cases: [string, string][] = [
      ['卡号6222021234567890128', 'BANK_CARD'],
      ['办公室010-62345678转801', 'CN_LANDLINE'],
      ['座机(0755)26543210', 'CN_LANDLINE'],
      ['信用代码91350100M000100Y43', 'USCC'],
      ['护照E12345678', 'CN_PASSPORT'],
      ['通行证C12345678', 'HK_MO_PERMIT'],
      ['台胞证12345678', 'TW_PERMIT'],
      ['香港身份证A123456(3)', 'HK_ID'],
      ['澳门身份证1234567(8)', 'MO_ID'],
      ['A123456789', 'TW_ID'],
      ['IP 192.168.10.20 ', 'IPV4'],
      ['地址 2001:db8::8a2e:370:7334', 'IPV6'],
      ['车牌粤B12345', 'PLATE'],
      ['车牌京AD12345', 'PLATE'],
      ['QQ：12345678', 'QQ'],
      ['加v abc_123456', 'WECHAT_ID'],
      ['身份证 110105491231002', 'CN_ID15'],
      ['联系人：张伟', 'PERSON'],
      ['地址：北京市朝阳区建国路88号', 'ADDRESS'],
    ];
    for (const [text, type] of cases) expect(types(text).map((t) => t.split(':')[0]), text).toContain(type);
  });

  it('reports context-gated types only with their context word', () => {
    expect(types('110105491231002')).toEqual([]);
    expect(types('12345678')).toEqual([]);
    expect(types('我有 12345678 个')).toEqual([]);
    expect(types('abc_123456')).toEqual([]);
  });

  it('leaves the traps alone', () => {
    for (const text of [
      'IMEI 356938035643809',
      '356938035643809',
      'ICCID 8986001234567890123',
      '时间戳 1700000000',
      '金额¥1,234.56',
      '验证码 123456',
      '2024-03-15 开庭',
      '版本 1.2.3.4',
      'v10.0.0.1',
      '12:30:45',
      'MAC 00:1a:2b:3c:4d:5e',
      'icon@2x.png',
      '400-123-4567',
      '发票代码 075512345678',
    ]) {
      expect(types(text), text).toEqual([]);
    }
    expect(types('港澳通行证有效期至20300101')).toEqual([]);
    expect(types('台胞证有效期至 20300101')).toEqual([]);
    // A Luhn-valid ICCID next to 卡 (a bank-card context word) is still not a card.
    expect(types(`SIM卡 ${V.withLuhn('898600' + '1234567890123')}`)).toEqual([]);
  });

  it('reports 400/800 numbers only when the policy asks', () => {
    expect(findCandidates('热线 400-123-4567', { ...OPTS, serviceNumbers: true }).map((c) => c.type)).toContain('CN_LANDLINE');
  });

  it('rejects birth dates after the reference date', () => {
    const body = '110105' + '20250601' + '123';
    const id = body + idCheckChar(body);
    expect(findCandidates(id, { ...OPTS, notAfter: 20260101 }).find((c) => c.type === 'CN_ID')!.score).toBeGreaterThan(0.9);
    expect(findCandidates(id, { ...OPTS, notAfter: 20250101 }).find((c) => c.type === 'CN_ID')!.score).toBeLessThan(0.5);
  });

  it('finishes on adversarial long inputs with correct results (linear scans)', () => {
    const rng = new Rng(11);
    const seps = ['', ' ', '-', '.', ',', ':', '@', 'X'];
    let s = '';
    while (s.length < 200_000) s += rng.digits(rng.int(1, 30)) + rng.pick(seps);
    expect(() => findCandidates(s, OPTS)).not.toThrow();
    const digits = '1'.repeat(200_000);
    expect(findCandidates(digits, OPTS)).toEqual([]);
    const dashes = '1-'.repeat(100_000);
    expect(findCandidates(dashes, OPTS)).toEqual([]);
    const ats = 'a@'.repeat(100_000) + 'a.com';
    expect(findCandidates(ats, OPTS).length).toBeLessThanOrEqual(1);
    const colons = ':1'.repeat(100_000);
    expect(findCandidates(colons, OPTS)).toEqual([]);
    const plates = '粤B'.repeat(100_000);
    expect(findCandidates(plates, OPTS)).toEqual([]);
    const letters = 'E1'.repeat(100_000);
    expect(findCandidates(letters, OPTS)).toEqual([]);
  });

  it('source uses no \\b, no lookbehind and no Node-only API', () => {
    const dir = join(dirname(fileURLToPath(import.meta.url)), '../../src/redact');
    for (const f of readdirSync(dir)) {
      const text = readFileSync(join(dir, f), 'utf8');
      expect(text.includes('\\b'), f).toBe(false);
      expect(/\(\?<[=!]/.test(text), f).toBe(false);
      expect(/\b(Buffer|TextEncoder|TextDecoder|process|require)\b/.test(text.replace(/\/\/.*$/gm, '')), f).toBe(false);
    }
  });

  it('fuzz: never throws, offsets stay inside the input and ordered', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'0123456789 -+.@:()转xX京A身份证卡号QQ微信ａ１　'.split('')), maxLength: 200 }), (s) => {
        for (const c of findCandidates(s, OPTS)) {
          expect(c.start).toBeGreaterThanOrEqual(0);
          expect(c.end).toBeLessThanOrEqual(s.length);
          expect(c.start).toBeLessThan(c.end);
        }
      }),
      { numRuns: 500 },
    );
  });
});
