// Hex encoding and decoding in bytes.ts: every byte value, lengths from 0 to large, round trips.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../src/bytes';

describe('bytesToHex', () => {
  it('writes every byte value as two lower-case digits', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(bytesToHex(all)).toBe(Buffer.from(all).toString('hex'));
    expect(bytesToHex(new Uint8Array(0))).toBe('');
  });

  it('agrees with Buffer for random inputs up to 4 KiB and one of 200 KB, and hexToBytes reverses it', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
        const hex = bytesToHex(bytes);
        expect(hex).toBe(Buffer.from(bytes).toString('hex'));
        expect(hexToBytes(hex)).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
    const big = new Uint8Array(randomBytes(200_000));
    expect(bytesToHex(big)).toBe(Buffer.from(big).toString('hex'));
  });

  it('reads a view at its offset, not the whole buffer behind it', () => {
    const backing = Uint8Array.of(0xff, 0x01, 0x02, 0xee);
    expect(bytesToHex(backing.subarray(1, 3))).toBe('0102');
  });

  it('rejects what is not bytes with a TypeError', () => {
    expect(() => bytesToHex('00' as unknown as Uint8Array)).toThrow(TypeError);
  });
});
