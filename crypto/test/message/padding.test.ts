import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isE2eeError } from '../../src/errors';
import { MAX_MESSAGE_PLAINTEXT_BYTES, MIN_PADDED_BYTES } from '../../src/limits';
import { BAD_PADDING, pad, paddedLength, padme, unpad } from '../../src/padding';

function padCode(bytes: Uint8Array): string {
  try {
    unpad(bytes);
    return 'ok';
  } catch (e) {
    return isE2eeError(e) ? e.code : String(e);
  }
}

describe('padding (Padmé with a 32-byte minimum)', () => {
  it('padme matches the PURBs definition on known values', () => {
    // L: E = floor(log2 L), S = floor(log2 E) + 1, round up to a multiple of 2^(E-S).
    const cases: [number, number][] = [
      [1, 1], [2, 2], [7, 7], [9, 10], [33, 36], [100, 104], [1000, 1024], [1025, 1088], [60001, 61440], [65536, 65536],
    ];
    for (const [l, want] of cases) expect(padme(l), `padme(${l})`).toBe(want);
  });

  it('overhead stays under 12% above the minimum and the padded length is monotone', () => {
    let prev = 0;
    for (let n = 0; n <= 70000 && n <= MAX_MESSAGE_PLAINTEXT_BYTES; n += 97) {
      const l = paddedLength(n);
      expect(l).toBeGreaterThan(n);
      expect(l).toBeGreaterThanOrEqual(prev);
      if (n >= MIN_PADDED_BYTES) expect((l - n - 1) / (n + 1)).toBeLessThan(0.12);
      prev = l;
    }
    expect(paddedLength(0)).toBe(32);
    expect(paddedLength(31)).toBe(32);
    expect(paddedLength(32)).toBe(36);
  });

  it('round-trips every length (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), (pt) => {
        const padded = pad(pt);
        return padded.length === paddedLength(pt.length) && Buffer.from(unpad(padded)).equals(Buffer.from(pt));
      }),
      { numRuns: 500 },
    );
  });

  it('rejects a missing marker, non-zero filler and non-canonical lengths', () => {
    expect(padCode(new Uint8Array(32))).toBe(BAD_PADDING); // all zero: no marker
    expect(padCode(new Uint8Array(32).fill(0x41))).toBe(BAD_PADDING); // no marker
    const filler = pad(Uint8Array.of(1, 2, 3));
    filler[20] = 1; // non-zero byte after the marker makes it the last non-zero byte
    expect(padCode(filler)).toBe(BAD_PADDING);
    const long = new Uint8Array(64);
    long[0] = 0x80; // empty plaintext padded to 64 instead of 32
    expect(padCode(long)).toBe(BAD_PADDING);
    const short = new Uint8Array(16);
    short[0] = 0x80; // below the minimum
    expect(padCode(short)).toBe(BAD_PADDING);
    expect(padCode(pad(new Uint8Array(100)))).toBe('ok');
  });

  it('refuses plaintexts over the cap as a caller bug', () => {
    expect(() => pad(new Uint8Array(MAX_MESSAGE_PLAINTEXT_BYTES + 1))).toThrow(RangeError);
    expect(pad(new Uint8Array(MAX_MESSAGE_PLAINTEXT_BYTES)).length).toBe(paddedLength(MAX_MESSAGE_PLAINTEXT_BYTES));
  });
});
