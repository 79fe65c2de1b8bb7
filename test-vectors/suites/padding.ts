// Padding vectors: padded lengths, and unpadding of canonical and non-canonical inputs
// (crypto/src/padding.ts, test-vectors/README.md "padding.json").
import { bytesToHex, hexToBytes } from '../../crypto/src/bytes';
import { isE2eeError } from '../../crypto/src/errors';
import { BAD_PADDING, pad, paddedLength, unpad } from '../../crypto/src/padding';
import type { VectorSuite } from '../suite';

interface LengthTest {
  tcId: number;
  plaintextLength: number;
  paddedLength: number;
}
interface UnpadTest {
  tcId: number;
  comment: string;
  padded: string;
  plaintext: string | null;
  result: 'valid' | 'invalid';
  error: string | null;
}

const LENGTHS = [0, 1, 30, 31, 32, 35, 36, 63, 100, 255, 256, 1000, 1023, 1024, 4095, 10000, 60000];

function unpadOutcome(padded: Uint8Array): { plaintext: string | null; error: string | null } {
  try {
    return { plaintext: bytesToHex(unpad(padded)), error: null };
  } catch (e) {
    return { plaintext: null, error: isE2eeError(e) ? e.code : String(e) };
  }
}

export const suite: VectorSuite = {
  file: 'padding.json',
  generate() {
    const lengths: LengthTest[] = LENGTHS.map((n, i) => ({ tcId: i + 1, plaintextLength: n, paddedLength: paddedLength(n) }));
    const hello = Uint8Array.from([104, 101, 108, 108, 111]);
    const cases: [string, Uint8Array][] = [
      ['empty plaintext', pad(new Uint8Array(0))],
      ['"hello"', pad(hello)],
      ['31 bytes: the largest that fits the 32-byte minimum', pad(new Uint8Array(31).fill(0x61))],
      ['32 bytes of 0x80 (marker-like content)', pad(new Uint8Array(32).fill(0x80))],
      ['100 zero bytes (zeros before the marker are content)', pad(new Uint8Array(100))],
    ];
    const bad = (f: (b: Uint8Array) => void, base: Uint8Array): Uint8Array => {
      const b = base.slice();
      f(b);
      return b;
    };
    const invalid: [string, Uint8Array][] = [
      ['all zero: no marker', new Uint8Array(32)],
      ['no marker, all content', new Uint8Array(32).fill(0x41)],
      ['marker 0x81 instead of 0x80', bad((b) => (b[5] = 0x81), pad(hello))],
      ['non-zero filler after the marker', bad((b) => (b[31] = 1), pad(hello))],
      ['empty plaintext padded to 64 (non-canonical length)', bad((b) => (b[0] = 0x80), new Uint8Array(64))],
      ['below the 32-byte minimum', bad((b) => (b[0] = 0x80), new Uint8Array(16))],
      ['"hello" padded to 36 (non-canonical length)', bad((b) => { b.set(hello); b[5] = 0x80; }, new Uint8Array(36))],
      ['empty input', new Uint8Array(0)],
    ];
    let id = 100;
    const unpadTests: UnpadTest[] = [
      ...cases.map(([comment, padded]) => ({ tcId: ++id, comment, padded: bytesToHex(padded), ...unpadOutcome(padded), result: 'valid' as const })),
      ...invalid.map(([comment, padded]) => ({ tcId: ++id, comment, padded: bytesToHex(padded), ...unpadOutcome(padded), result: 'invalid' as const })),
    ];
    for (const t of unpadTests) {
      if ((t.result === 'valid') !== (t.error === null)) throw new Error(`padding vector ${t.tcId} does not behave as labelled`);
      if (t.error !== null && t.error !== BAD_PADDING) throw new Error(`padding vector ${t.tcId}: unexpected error ${t.error}`);
    }
    return {
      description: 'Padding: padded = plaintext || 0x80 || 0x00*, length max(32, padme(len + 1)); unpad accepts exactly that encoding.',
      lengths,
      unpad: unpadTests,
    };
  },
  verify(data) {
    const out: string[] = [];
    const d = data as { lengths?: LengthTest[]; unpad?: UnpadTest[] };
    if (!d.lengths?.length || !d.unpad?.length) return ['no tests'];
    for (const t of d.lengths) {
      const got = paddedLength(t.plaintextLength);
      if (got !== t.paddedLength) out.push(`tcId ${t.tcId}: paddedLength(${t.plaintextLength}): expected ${t.paddedLength}, got ${got}`);
    }
    for (const t of d.unpad) {
      const got = unpadOutcome(hexToBytes(t.padded));
      if (t.result === 'valid') {
        if (t.plaintext === null || got.plaintext !== t.plaintext) out.push(`tcId ${t.tcId}: plaintext: expected ${t.plaintext}, got ${got.plaintext ?? got.error}`);
        else if (bytesToHex(pad(hexToBytes(t.plaintext!))) !== t.padded) out.push(`tcId ${t.tcId}: pad(plaintext) does not give padded`);
      } else if (t.result === 'invalid') {
        if (got.error !== t.error) out.push(`tcId ${t.tcId}: error: expected ${t.error}, got ${got.error ?? 'success'}`);
      } else out.push(`tcId ${t.tcId}: unknown test result ${String(t.result)}`);
    }
    return out;
  },
};
