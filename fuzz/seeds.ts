// Seed material: the published test vectors (valid and deliberately invalid structures)
// plus structures built with the encoders from a deterministic random source.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hexToBytes } from '../crypto/src/bytes';
import { loadDefaultPrimitives } from '../crypto/src/primitives/select';
import type { Primitives } from '../crypto/src/primitives/types';
import { seededRandom } from '../test-vectors/seeded-random';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Parsed JSON of a published vector file (test-vectors/<file>). */
export function vectorFile(file: string): any {
  return JSON.parse(readFileSync(join(ROOT, 'test-vectors', file), 'utf8'));
}

export function hex(s: unknown): Uint8Array {
  if (typeof s !== 'string') throw new TypeError('"s" expected a hex string');
  return hexToBytes(s);
}

let primitives: Promise<Primitives> | null = null;

/** The platform's default backend with a seeded random source (seeds are deterministic). */
export function fuzzPrimitives(): Promise<Primitives> {
  primitives ??= loadDefaultPrimitives(seededRandom('wxe2ee fuzz seeds'));
  return primitives;
}
