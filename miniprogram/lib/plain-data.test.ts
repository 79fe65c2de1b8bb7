import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertPlainData, findNonPlainValue } from './plain-data';

describe('plain-data guard for setData', () => {
  it('accepts any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        // fast-check's JSON values may contain -0, which is still a finite number.
        expect(findNonPlainValue(value)).toBeNull();
      }),
    );
  });

  it('names the path of byte arrays, buffers, BigInt, functions, undefined, class instances and non-finite numbers', () => {
    expect(findNonPlainValue({ a: [1, { key: new Uint8Array(32) }] })).toBe('data.a[1].key');
    expect(findNonPlainValue({ b: new ArrayBuffer(8) })).toBe('data.b');
    expect(findNonPlainValue({ n: 1n })).toBe('data.n');
    expect(findNonPlainValue({ f: () => 1 })).toBe('data.f');
    expect(findNonPlainValue({ u: undefined })).toBe('data.u');
    expect(findNonPlainValue({ d: new Date(0) })).toBe('data.d');
    expect(findNonPlainValue({ m: new Map() })).toBe('data.m');
    expect(findNonPlainValue({ x: Number.POSITIVE_INFINITY })).toBe('data.x');
    expect(findNonPlainValue(Object.create(null))).toBeNull();
  });

  it('property: a byte array hidden anywhere in JSON data is found', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), (value, seed) => {
        const holder = { wrapped: value, list: [value, { secret: new Uint8Array(seed % 64) }] };
        expect(findNonPlainValue(holder)).toBe('data.list[1].secret');
      }),
    );
  });

  it('throws a TypeError with the path and never the value', () => {
    const secret = new Uint8Array([0xde, 0xad, 0xbe, 0xef]);
    let message = '';
    try {
      assertPlainData({ identity: { seed: secret } });
    } catch (e) {
      expect(e).toBeInstanceOf(TypeError);
      message = (e as Error).message;
    }
    expect(message).toContain('data.identity.seed');
    expect(message).not.toMatch(/222|173|deadbeef/i);
  });

  it('refuses absurdly deep nesting instead of recursing without bound', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = { d: deep };
    expect(findNonPlainValue(deep)).not.toBeNull();
  });
});
