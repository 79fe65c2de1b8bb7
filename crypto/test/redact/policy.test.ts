import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8Encode } from '../../src/bytes';
import { isE2eeError } from '../../src/errors';
import {
  BAD_POLICY,
  decodePolicy,
  decodePolicyBytes,
  defaultPolicy,
  encodePolicy,
  encodePolicyBytes,
  type RedactionPolicy,
} from '../../src/redact/policy';
import { ENTITY_TYPES } from '../../src/redact/types';

function rejects(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    expect(isE2eeError(e, BAD_POLICY), String(e)).toBe(true);
    return;
  }
  throw new Error('expected E2E_ERR_BAD_POLICY');
}

const JUNK: unknown[] = [
  null,
  undefined,
  42,
  'policy',
  [],
  {},
  { v: 2 },
  { v: 1, extra: true },
  { v: 1, actions: [] },
  { v: 1, actions: { NOPE: 'mask' } },
  { v: 1, actions: { EMAIL: 'shout' } },
  { v: 1, minScore: 0.5 },
  { v: 1, minScore: -1 },
  { v: 1, minScore: 91 },
  { v: 1, minScores: { EMAIL: 200 } },
  { v: 1, minScores: { NOPE: 10 } },
  { v: 1, allow: 'x' },
  { v: 1, allow: [1] },
  { v: 1, allow: ['x'] },
  { v: 1, allow: ['a'.repeat(65)] },
  { v: 1, allow: [' ab'] },
  { v: 1, deny: Array.from({ length: 257 }, (_, i) => `term${i}`) },
  { v: 1, deny: ['\uD800x'] },
  { v: 1, serviceNumbers: 'yes' },
  { v: 1, referenceDate: '2024-02-30' },
  { v: 1, referenceDate: '24-01-01' },
  { v: 1, referenceDate: 20240101 },
  { v: 1, defaultAction: 'allow' },
];

describe('redaction policy', () => {
  it('the default masks everything at score 0.5', () => {
    const p = defaultPolicy();
    expect(decodePolicy(p)).toEqual(p);
    expect(p.defaultAction).toBe('mask');
    expect(p.minScore).toBe(50);
  });

  it('rejects every junk input with a typed error', () => {
    for (const j of JUNK) rejects(() => decodePolicy(j));
  });

  it('local floor: CN_ID, CN_ID15 and BANK_CARD can never be allowed', () => {
    for (const t of ['CN_ID', 'CN_ID15', 'BANK_CARD']) rejects(() => decodePolicy({ v: 1, actions: { [t]: 'allow' } }));
    rejects(() => decodePolicy({ v: 1, defaultAction: 'allow', actions: { CN_ID: 'mask', CN_ID15: 'mask' } }));
    const ok = decodePolicy({ v: 1, defaultAction: 'allow', actions: { CN_ID: 'mask', CN_ID15: 'token', BANK_CARD: 'remove' } });
    expect(ok.actions.BANK_CARD).toBe('remove');
  });

  it('canonical encoding: sorted keys and lists, round-trips, one encoding per policy', () => {
    const p: RedactionPolicy = {
      ...defaultPolicy(),
      actions: { EMAIL: 'token', CN_MOBILE: 'remove' },
      allow: ['zz-top', '4001234567', 'zz-top'],
      deny: ['项目代号', 'abc'],
      minScores: { QQ: 70 },
      referenceDate: '2026-01-01',
    };
    const text = encodePolicy(p);
    expect(text).toBe(
      '{"actions":{"CN_MOBILE":"remove","EMAIL":"token"},"allow":["4001234567","zz-top"],"defaultAction":"mask","deny":["abc","项目代号"],"minScore":50,"minScores":{"QQ":70},"referenceDate":"2026-01-01","serviceNumbers":false,"v":1}',
    );
    const back = decodePolicyBytes(encodePolicyBytes(p));
    expect(encodePolicy(back)).toBe(text);
  });

  it('decodePolicyBytes rejects non-canonical, non-UTF-8, non-JSON and oversized input', () => {
    const canonical = encodePolicy(defaultPolicy());
    rejects(() => decodePolicyBytes(utf8Encode(' ' + canonical)));
    rejects(() => decodePolicyBytes(utf8Encode(canonical.replace('"v":1', '"v":1.0'))));
    rejects(() => decodePolicyBytes(utf8Encode('{"v":1}')));
    rejects(() => decodePolicyBytes(new Uint8Array([0xff, 0xfe])));
    rejects(() => decodePolicyBytes(utf8Encode('{')));
    rejects(() => decodePolicyBytes(new Uint8Array(200_000)));
    expect(() => decodePolicyBytes('x' as unknown as Uint8Array)).toThrow(TypeError);
  });

  it('property: every valid policy round-trips through its canonical bytes', () => {
    const action = fc.constantFrom('mask', 'token', 'remove', 'allow');
    const nonFloor = ENTITY_TYPES.filter((t) => !['CN_ID', 'CN_ID15', 'BANK_CARD'].includes(t));
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...nonFloor), action),
        fc.integer({ min: 0, max: 90 }),
        fc.array(fc.string({ minLength: 2, maxLength: 10 }).filter((s) => s.trim() === s && s.length >= 2), { maxLength: 5 }),
        fc.boolean(),
        (actions, minScore, deny, serviceNumbers) => {
          const p = { ...defaultPolicy(), actions, minScore, deny, serviceNumbers };
          let decoded: RedactionPolicy;
          try {
            decoded = decodePolicy(p);
          } catch (e) {
            expect(isE2eeError(e, BAD_POLICY)).toBe(true);
            return;
          }
          expect(decodePolicyBytes(encodePolicyBytes(decoded))).toEqual(decoded);
        },
      ),
      { numRuns: 200 },
    );
  });
});
