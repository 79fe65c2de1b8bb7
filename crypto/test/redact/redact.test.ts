import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultPolicy, type RedactionPolicy } from '../../src/redact/policy';
import { redact, resolveOverlaps } from '../../src/redact/redact';
import { MARKER_PATTERN, restore } from '../../src/redact/token';
import type { Candidate } from '../../src/redact/types';
import { loadCorpus } from './evaluate';

const hmacSha256 = (key: Uint8Array, data: Uint8Array): Uint8Array => hmac(sha256, key, data);
const KEY = new Uint8Array(32).fill(7);
const OTHER_KEY = new Uint8Array(32).fill(8);
const P: RedactionPolicy = { ...defaultPolicy(), referenceDate: '2026-01-01' };
const TOKENS: RedactionPolicy = { ...P, defaultAction: 'token' };

const ID = '11010519491231002X';
const CARD = '6222021234567890128';

describe('masks follow common practice', () => {
  const masked = (text: string): string => redact(text, P).text;
  it('mobile 138****5678, keeping separators and the +86 prefix', () => {
    expect(masked('13812345678')).toBe('138****5678');
    expect(masked('138-1234-5678')).toBe('138-****-5678');
    expect(masked('+86 138 1234 5678')).toBe('+86 138 **** 5678');
  });
  it('ID: first 1 and last 2; card: last 4; email: first character and domain', () => {
    expect(masked(ID)).toBe('1***************2X');
    expect(masked(CARD)).toBe('***************0128');
    expect(masked('zhangsan@qq.com')).toBe('z*******@qq.com');
  });
  it('landline keeps area code and extension, person keeps surname', () => {
    expect(masked('电话010-62345678转801')).toBe('电话010-******78转801');
    expect(masked('姓名：张伟，')).toBe('姓名：张*，');
  });
});

describe('actions', () => {
  it('remove replaces the value with its type label only', () => {
    const r = redact('手机13812345678', { ...P, actions: { CN_MOBILE: 'remove' } });
    expect(r.text).toBe('手机[手机号]');
    expect(r.findings[0]!.action).toBe('remove');
  });

  it('allow keeps the value and still reports it; the allow list exempts one value', () => {
    const r = redact('邮箱 a1@qq.com', { ...P, actions: { EMAIL: 'allow' } });
    expect(r.text).toBe('邮箱 a1@qq.com');
    expect(r.findings[0]!.action).toBe('allow');
    const hotline = redact('电话 010-62345678 和 010-62345679', { ...P, allow: ['010-62345678'] });
    expect(hotline.text).toBe('电话 010-62345678 和 010-******79');
  });

  it('the allow list cannot exempt an ID or a card (local floor)', () => {
    const r = redact(`身份证${ID}`, { ...P, allow: [ID] });
    expect(r.text).not.toContain(ID);
  });

  it('deny terms are always masked', () => {
    const r = redact('项目代号青龙，别外传', { ...P, deny: ['青龙'] });
    expect(r.text).toBe('项目代号**，别外传');
    expect(r.findings[0]!.type).toBe('CUSTOM');
  });

  it('tokens are keyed, deterministic per value, and restorable only from the local map', () => {
    const a = redact('手机13812345678 又是 138 1234 5678', TOKENS, { hmacSha256, tokenKey: KEY });
    const tokens = a.text.match(/\[手机号#[0-9a-f]{12}\]/g)!;
    expect(tokens).toHaveLength(2);
    expect(tokens[0]).toBe(tokens[1]);
    const b = redact('手机13812345678', TOKENS, { hmacSha256, tokenKey: OTHER_KEY });
    expect(b.text).not.toContain(tokens[0]);
    expect(restore(a.text, a.restore)).toBe('手机13812345678 又是 13812345678');
    expect(restore(a.text, {})).toBe(a.text);
    expect(JSON.stringify(a.findings)).not.toContain('13812345678');
  });

  it('the token action needs an HMAC and a 32-byte key', () => {
    expect(() => redact('x', TOKENS)).toThrow(TypeError);
    expect(() => redact('x', TOKENS, { hmacSha256, tokenKey: new Uint8Array(16) })).toThrow(RangeError);
  });

  it('rejects a non-string text and a bad policy', () => {
    expect(() => redact(1 as unknown as string, P)).toThrow(TypeError);
    expect(() => redact('x', { ...P, actions: { CN_ID: 'allow' } })).toThrow(/never be allowed/);
  });
});

describe('markers', () => {
  it('only our own labels are markers: user text in brackets is ordinary text', () => {
    const re = new RegExp(MARKER_PATTERN.source);
    expect(re.test('[手机号]')).toBe(true);
    expect(re.test('[身份证#0123456789ab]')).toBe(true);
    expect(re.test('[图片]')).toBe(false);
    expect(re.test('[抱拳]')).toBe(false);
    expect(re.test('[手机号#0123]')).toBe(false);
  });

  it('a marker is never read as a context word for the next value', () => {
    // 台湾通行证 is a context word for the bare 8-digit permit; inside a removal marker it must not count.
    const out = redact('台胞证L03609469员工编号 20240315', { ...P, defaultAction: 'remove' }).text;
    expect(out).toBe('台胞证[台湾通行证]员工编号 20240315');
    expect(redact(out, { ...P, defaultAction: 'remove' }).text).toBe(out);
  });
});

describe('overlap resolution', () => {
  const cand = (type: Candidate['type'], start: number, end: number, score: number): Candidate => ({ type, start, end, score, validators: [], context: false, normalized: '' });
  it('score first, then length, then priority ID > card > phone', () => {
    expect(resolveOverlaps([cand('CN_MOBILE', 0, 11, 0.9), cand('BANK_CARD', 0, 16, 0.8)], 20).map((c) => c.type)).toEqual(['CN_MOBILE']);
    expect(resolveOverlaps([cand('CN_MOBILE', 0, 11, 0.9), cand('BANK_CARD', 0, 16, 0.9)], 20).map((c) => c.type)).toEqual(['BANK_CARD']);
    expect(resolveOverlaps([cand('CN_MOBILE', 0, 18, 0.9), cand('BANK_CARD', 0, 18, 0.9), cand('CN_ID', 0, 18, 0.9)], 20).map((c) => c.type)).toEqual(['CN_ID']);
    expect(resolveOverlaps([cand('CN_MOBILE', 0, 18, 0.9), cand('BANK_CARD', 0, 18, 0.9)], 20).map((c) => c.type)).toEqual(['BANK_CARD']);
  });

  it('property: winners are disjoint, order-independent, and every loser overlaps a winner ranked at least as high', () => {
    const types = ['CN_ID', 'BANK_CARD', 'CN_MOBILE', 'EMAIL'] as const;
    const arb = fc.array(
      fc.record({ type: fc.constantFrom(...types), start: fc.nat(40), len: fc.integer({ min: 1, max: 12 }), score: fc.integer({ min: 0, max: 10 }) }),
      { maxLength: 25 },
    );
    const rank = (c: Candidate): number[] => [-c.score, -(c.end - c.start), types.indexOf(c.type as (typeof types)[number]), c.start];
    const atLeast = (a: number[], b: number[]): boolean => {
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
      return true;
    };
    fc.assert(
      fc.property(arb, fc.nat(), (raw, rot) => {
        const cands = raw.map((r) => cand(r.type, r.start, r.start + r.len, r.score / 10));
        const winners = resolveOverlaps(cands, 60);
        const shuffled = cands.length ? [...cands.slice(rot % cands.length), ...cands.slice(0, rot % cands.length)] : [];
        expect(resolveOverlaps(shuffled, 60)).toEqual(winners);
        for (let i = 1; i < winners.length; i++) expect(winners[i]!.start).toBeGreaterThanOrEqual(winners[i - 1]!.end);
        for (const c of cands) {
          if (winners.includes(c)) continue;
          expect(winners.some((w) => w.start < c.end && c.start < w.end && atLeast(rank(w), rank(c)))).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

const samples = [...loadCorpus('generated.jsonl').slice(0, 300), ...loadCorpus('handwritten.jsonl'), ...loadCorpus('hard-negatives.jsonl').slice(0, 200)];
const piece = fc.oneof(fc.constantFrom(...samples.map((s) => s.text)), fc.string({ maxLength: 20 }));
const textArb = fc.array(piece, { maxLength: 4 }).map((parts) => parts.join(''));

describe('properties', () => {
  it('idempotent: redacting the output again changes nothing (mask)', () => {
    fc.assert(
      fc.property(textArb, (text) => {
        const once = redact(text, P).text;
        expect(redact(once, P).text).toBe(once);
      }),
      { numRuns: 500 },
    );
  });

  // remove/token change lengths, which can move a context word into or out of a neighbouring
  // value's window (docs/REDACTION.md "Known limits"); no case has been found since the address
  // and negative-word fixes (180k runs), but the seed is fixed so CI cannot flake on one.
  it('idempotent under remove and token on random concatenations of corpus text (fixed seed)', () => {
    for (const policy of [{ ...P, defaultAction: 'remove' as const }, TOKENS]) {
      fc.assert(
        fc.property(textArb, (text) => {
          const once = redact(text, policy, { hmacSha256, tokenKey: KEY }).text;
          expect(redact(once, policy, { hmacSha256, tokenKey: KEY }).text).toBe(once);
        }),
        { numRuns: 500, seed: 4 },
      );
    }
  });

  it('deterministic, findings disjoint and ordered, output rebuilt from the findings', () => {
    fc.assert(
      fc.property(textArb, (text) => {
        const a = redact(text, P);
        expect(redact(text, P)).toEqual(a);
        let rebuilt = '';
        let pos = 0;
        for (const f of a.findings) {
          expect(f.start).toBeGreaterThanOrEqual(pos);
          // A mask keeps the length, and every character it shows is the original one.
          expect(f.replacement.length).toBe(f.end - f.start);
          for (let i = 0; i < f.replacement.length; i++) if (f.replacement[i] !== '*') expect(f.replacement[i]).toBe(text[f.start + i]);
          rebuilt += text.slice(pos, f.start) + f.replacement;
          pos = f.end;
        }
        expect(rebuilt + text.slice(pos)).toBe(a.text);
      }),
      { numRuns: 300 },
    );
  });

  it('every corpus message is idempotent under mask, remove and token', () => {
    for (const policy of [P, { ...P, defaultAction: 'remove' as const }, TOKENS]) {
      for (const s of samples) {
        const once = redact(s.text, policy, { hmacSha256, tokenKey: KEY }).text;
        expect(redact(once, policy, { hmacSha256, tokenKey: KEY }).text, s.text).toBe(once);
      }
    }
  });
});
