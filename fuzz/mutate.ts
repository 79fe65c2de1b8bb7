// Mutations of valid seeds: most fuzz inputs start from a well-formed structure, so they
// get past the first length/version check and exercise the decoder's later stages.
import { concatBytes } from '../crypto/src/bytes';
import type { Prng } from './prng';

/** Bytes worth trying at any position: boundaries of the integer widths the wire uses. */
const INTERESTING = [0x00, 0x01, 0x02, 0x7f, 0x80, 0xfe, 0xff];

/** Largest input a mutation may produce (keeps every input cheap to build). */
export const MAX_MUTATED_BYTES = 1 << 20;

export type Mutation = (rng: Prng, input: Uint8Array, seeds: readonly Uint8Array[]) => Uint8Array;

const flipBits: Mutation = (rng, input) => {
  if (input.length === 0) return rng.bytes(1);
  const out = input.slice();
  const flips = 1 + rng.int(8);
  for (let i = 0; i < flips; i++) out[rng.int(out.length)]! ^= 1 << rng.int(8);
  return out;
};

const setInteresting: Mutation = (rng, input) => {
  if (input.length === 0) return Uint8Array.of(rng.pick(INTERESTING));
  const out = input.slice();
  out[rng.int(out.length)] = rng.pick(INTERESTING);
  return out;
};

const insertBytes: Mutation = (rng, input) => {
  const at = rng.int(input.length + 1);
  const n = 1 + rng.int(rng.chance(0.8) ? 4 : 64);
  return concatBytes(input.subarray(0, at), rng.bytes(n), input.subarray(at));
};

const deleteBytes: Mutation = (rng, input) => {
  if (input.length === 0) return input;
  const at = rng.int(input.length);
  const n = 1 + rng.int(Math.min(input.length - at, rng.chance(0.8) ? 4 : 256));
  return concatBytes(input.subarray(0, at), input.subarray(at + n));
};

/** Reads a u8/u16/u32 big-endian at a random offset and nudges it or sets it to a boundary. */
const tweakLength: Mutation = (rng, input) => {
  const width = rng.pick([1, 2, 4] as const);
  if (input.length < width) return insertBytes(rng, input, []);
  const at = rng.int(input.length - width + 1);
  const out = input.slice();
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const max = width === 1 ? 0xff : width === 2 ? 0xffff : 0xffffffff;
  const old = width === 1 ? view.getUint8(at) : width === 2 ? view.getUint16(at) : view.getUint32(at);
  const choices = [0, 1, max, max - 1, old + 1, old - 1, old + 2 + rng.int(30), old - 2 - rng.int(30), old * 2, Math.floor(old / 2), input.length, input.length - at];
  const v = Math.min(max, Math.max(0, rng.pick(choices))) >>> 0;
  if (width === 1) view.setUint8(at, v);
  else if (width === 2) view.setUint16(at, v);
  else view.setUint32(at, v);
  return out;
};

/** Replaces or inserts a slice of another seed (or of the input itself). */
const splice: Mutation = (rng, input, seeds) => {
  const other = seeds.length > 0 ? rng.pick(seeds) : input;
  if (other.length === 0) return input;
  const from = rng.int(other.length);
  const piece = other.subarray(from, from + 1 + rng.int(Math.min(other.length - from, 512)));
  const at = rng.int(input.length + 1);
  const replace = rng.chance(0.5) ? rng.int(Math.min(input.length - at, piece.length) + 1) : 0;
  return concatBytes(input.subarray(0, at), piece, input.subarray(at + replace));
};

/** Joins the head of one structure to the tail of another at random cut points. */
const crossover: Mutation = (rng, input, seeds) => {
  const other = seeds.length > 0 ? rng.pick(seeds) : input;
  return concatBytes(input.subarray(0, rng.int(input.length + 1)), other.subarray(rng.int(other.length + 1)));
};

const truncate: Mutation = (rng, input) => input.subarray(0, rng.int(input.length + 1)).slice();

const extend: Mutation = (rng, input) => {
  if (rng.chance(0.5) || input.length === 0) return concatBytes(input, rng.bytes(1 + rng.int(rng.chance(0.8) ? 8 : 1024)));
  const from = rng.int(input.length);
  return concatBytes(input, input.subarray(from));
};

const duplicateRange: Mutation = (rng, input) => {
  if (input.length === 0) return input;
  const from = rng.int(input.length);
  const piece = input.subarray(from, from + 1 + rng.int(Math.min(input.length - from, 128)));
  const at = rng.int(input.length + 1);
  return concatBytes(input.subarray(0, at), piece, input.subarray(at));
};

export const MUTATIONS: readonly { name: string; weight: number; apply: Mutation }[] = [
  { name: 'bit-flip', weight: 6, apply: flipBits },
  { name: 'interesting-byte', weight: 4, apply: setInteresting },
  { name: 'insert', weight: 3, apply: insertBytes },
  { name: 'delete', weight: 3, apply: deleteBytes },
  { name: 'length-tweak', weight: 6, apply: tweakLength },
  { name: 'splice', weight: 2, apply: splice },
  { name: 'crossover', weight: 2, apply: crossover },
  { name: 'truncate', weight: 3, apply: truncate },
  { name: 'extend', weight: 2, apply: extend },
  { name: 'duplicate-range', weight: 1, apply: duplicateRange },
];
const TOTAL_WEIGHT = MUTATIONS.reduce((n, m) => n + m.weight, 0);

function pickMutation(rng: Prng): Mutation {
  let w = rng.int(TOTAL_WEIGHT);
  for (const m of MUTATIONS) {
    if (w < m.weight) return m.apply;
    w -= m.weight;
  }
  return flipBits;
}

/**
 * The next fuzz input: mostly 1..4 stacked mutations of a seed, sometimes a seed unchanged,
 * sometimes plain random bytes.
 */
export function nextInput(rng: Prng, seeds: readonly Uint8Array[]): Uint8Array {
  const roll = rng.int(100);
  if (roll < 5 || seeds.length === 0) return rng.bytes(rng.int(rng.chance(0.9) ? 128 : 4096));
  let input = rng.pick(seeds);
  if (roll < 8) return input.slice();
  const n = 1 + rng.int(rng.chance(0.7) ? 2 : 4);
  for (let i = 0; i < n; i++) {
    input = pickMutation(rng)(rng, input, seeds);
    if (input.length > MAX_MUTATED_BYTES) input = input.subarray(0, MAX_MUTATED_BYTES);
  }
  return input === seeds[0] ? input.slice() : input;
}
