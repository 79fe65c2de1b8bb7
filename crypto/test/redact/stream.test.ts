import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { STREAM_HOLD, STREAM_LOOKBACK, MAX_ENTITY_LENGTH } from '../../src/redact/limits';
import { defaultPolicy } from '../../src/redact/policy';
import { redact } from '../../src/redact/redact';
import { createRedactionStream } from '../../src/redact/stream';
import { loadCorpus } from './evaluate';

const P = { ...defaultPolicy(), referenceDate: '2026-01-01', deny: ['青龙计划'] };
const texts = [...loadCorpus('generated.jsonl').slice(0, 400), ...loadCorpus('handwritten.jsonl')].map((s) => s.text);

function streamed(text: string, cuts: number[]): { text: string; findings: unknown[]; maxHeld: number } {
  const s = createRedactionStream(P);
  let out = '';
  let pos = 0;
  let maxHeld = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    out += s.push(text.slice(pos, cut));
    pos = cut;
    maxHeld = Math.max(maxHeld, pos - [...out].length);
  }
  out += s.push(text.slice(pos));
  out += s.end();
  return { text: out, findings: [...s.findings], maxHeld };
}

describe('streaming redaction', () => {
  it('gives the same text and findings as redact wherever the text is split', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...texts), { minLength: 1, maxLength: 30 }).map((a) => a.join('\n')),
        fc.array(fc.nat(), { maxLength: 40 }),
        (text, raw) => {
          const cuts = raw.map((n) => n % (text.length + 1));
          const whole = redact(text, P);
          const s = streamed(text, cuts);
          expect(s.text).toBe(whole.text);
          expect(s.findings).toEqual(whole.findings);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('tokens: the same output and the same restore map as redact', () => {
    const key = new Uint8Array(32).fill(9);
    const opts = { hmacSha256: (k: Uint8Array, d: Uint8Array) => hmac(sha256, k, d), tokenKey: key };
    const policy = { ...P, defaultAction: 'token' as const };
    const text = texts.slice(0, 80).join('\n');
    const whole = redact(text, policy, opts);
    const s = createRedactionStream(policy, opts);
    let out = '';
    for (let i = 0; i < text.length; i += 53) out += s.push(text.slice(i, i + 53));
    out += s.end();
    expect(out).toBe(whole.text);
    expect(s.findings).toEqual(whole.findings);
    expect(s.restore).toEqual(whole.restore);
  });

  it('character by character gives the same result', () => {
    const text = texts.slice(0, 60).join(' ');
    const whole = redact(text, P);
    const s = createRedactionStream(P);
    let out = '';
    for (const ch of text) out += s.push(ch);
    out += s.end();
    expect(out).toBe(whole.text);
    expect(s.findings).toEqual(whole.findings);
  });

  it('holds back a bounded amount and keeps a bounded lookback', () => {
    // Masks keep the length of the value for every type but remove/token, so output length tracks input.
    const text = texts.join('\n');
    const s = createRedactionStream(P);
    let outLen = 0;
    let inLen = 0;
    let maxHeld = 0;
    for (let i = 0; i < text.length; i += 97) {
      const chunk = text.slice(i, i + 97);
      inLen += chunk.length;
      outLen += s.push(chunk).length;
      maxHeld = Math.max(maxHeld, inLen - outLen);
    }
    s.end();
    expect(maxHeld).toBeLessThanOrEqual(2 * STREAM_HOLD + MAX_ENTITY_LENGTH + 97);
    expect(STREAM_LOOKBACK).toBeGreaterThan(MAX_ENTITY_LENGTH);
  });

  it('rejects use after end and non-string chunks', () => {
    const s = createRedactionStream(P);
    expect(() => s.push(1 as unknown as string)).toThrow(TypeError);
    s.end();
    expect(() => s.push('x')).toThrow(TypeError);
    expect(() => s.end()).toThrow(TypeError);
  });
});
