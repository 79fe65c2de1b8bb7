// Deterministic RNG for vector generators only: SHA-256 in counter mode over a seed
// string. Output i = SHA-256(seed || u32(i)). Never used outside test-vectors/ and tests.
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8Encode } from '../crypto/src/bytes';
import type { RandomSource } from '../crypto/src/primitives/types';

export function seededRandom(seed: string): RandomSource {
  const seedBytes = utf8Encode(seed);
  let counter = 0;
  let pool: Uint8Array = new Uint8Array(0);
  return (length) => {
    while (pool.length < length) {
      const block = sha256(concatBytes(seedBytes, Uint8Array.of(counter >>> 24, (counter >>> 16) & 255, (counter >>> 8) & 255, counter & 255)));
      counter++;
      pool = concatBytes(pool, block);
    }
    const out = pool.slice(0, length);
    pool = pool.slice(length);
    return out;
  };
}
