// Safety number vectors: two identity keys -> 60 digits (crypto/src/identity/safety-number.ts).
// test-vectors/README.md "safety-number.json".
import { bytesToHex, hexToBytes } from '../../crypto/src/bytes';
import { formatSafetyNumber, safetyNumber, SAFETY_NUMBER_ITERATIONS } from '../../crypto/src/identity/safety-number';
import { createPrimitives } from '../../crypto/src/primitives/index';
import { nobleBackend } from '../../crypto/src/primitives/noble';
import { seededRandom } from '../seeded-random';
import type { VectorSuite } from '../suite';

interface SafetyVector { tcId: number; comment: string; identityKeyA: string; identityKeyB: string; safetyNumber: string; display: string; result: 'valid' }

export const suite: VectorSuite = {
  file: 'safety-number.json',
  generate() {
    const rnd = seededRandom('wxe2ee safety-number vectors');
    const p = createPrimitives(nobleBackend, rnd);
    const keys = [0, 1, 2].map(() => p.ed25519PublicKey(rnd(32)));
    const pairs: [string, Uint8Array, Uint8Array][] = [
      ['two members', keys[0]!, keys[1]!],
      ['the same pair in the other order gives the same number', keys[1]!, keys[0]!],
      ['one key changed', keys[0]!, keys[2]!],
      ['a key compared with itself', keys[2]!, keys[2]!],
    ];
    return {
      algorithm: 'wxe2ee v1 safety number',
      iterations: SAFETY_NUMBER_ITERATIONS,
      notes: 'See test-vectors/README.md "safety-number.json".',
      tests: pairs.map(([comment, a, b], i): SafetyVector => {
        const n = safetyNumber(p, a, b);
        return { tcId: i + 1, comment, identityKeyA: bytesToHex(a), identityKeyB: bytesToHex(b), safetyNumber: n, display: formatSafetyNumber(n), result: 'valid' };
      }),
    };
  },
  verify(data, p) {
    const errors: string[] = [];
    for (const t of (data as { tests: SafetyVector[] }).tests) {
      const n = safetyNumber(p, hexToBytes(t.identityKeyA), hexToBytes(t.identityKeyB));
      if (n !== t.safetyNumber) errors.push(`tcId ${t.tcId}: safetyNumber: expected ${t.safetyNumber}, got ${n}`);
      if (formatSafetyNumber(n) !== t.display) errors.push(`tcId ${t.tcId}: display`);
    }
    return errors;
  },
};
