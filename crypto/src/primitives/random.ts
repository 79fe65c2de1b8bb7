// Random sources. Randomness is always injected; nothing in crypto/ reads Math.random.
import { randomFillSync } from 'node:crypto';
import type { RandomSource } from './types';

/** Node's CSPRNG (OpenSSL). Only for Node entry points; the mini program injects its own pool. */
export const nodeRandom: RandomSource = (length) => {
  const out = new Uint8Array(length);
  randomFillSync(out);
  return out;
};
