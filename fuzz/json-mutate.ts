// Structure-aware mutation for JSON inputs: byte mutations mostly break the syntax, so
// JSON targets also get inputs whose syntax is valid and whose values are wrong.
import { utf8Encode } from '../crypto/src/bytes';
import type { Prng } from './prng';

const STRINGS = ['', 'a', 'CN_MOBILE', 'mask', 'token', 'remove', 'allow', 'text', 'put', 'del', '王老师', '\u0000', '\ud800', 'x'.repeat(70), '2026-02-30', '1900-01-01', '__proto__', 'constructor'];
const NUMBERS = [0, -1, 1, 50, 90, 91, 100, 1.5, 1e308, -1e308, 2 ** 53, 2 ** 53 + 2, Number.MIN_VALUE];

function randomValue(rng: Prng, depth = 0): unknown {
  switch (rng.int(depth > 2 ? 5 : 7)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick(NUMBERS);
    case 3:
      return rng.pick(STRINGS);
    case 4:
      return rng.pick(STRINGS) + rng.pick(STRINGS);
    case 5:
      return Array.from({ length: rng.int(rng.chance(0.9) ? 4 : 300) }, () => randomValue(rng, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = rng.int(4); i > 0; i--) o[rng.pick(STRINGS)] = randomValue(rng, depth + 1);
      return o;
    }
  }
}

/** Every container in the tree with its keys, to pick a mutation point from. */
function containers(v: unknown, out: (Record<string, unknown> | unknown[])[] = []): (Record<string, unknown> | unknown[])[] {
  if (Array.isArray(v)) {
    out.push(v);
    for (const x of v) containers(x, out);
  } else if (v !== null && typeof v === 'object') {
    out.push(v as Record<string, unknown>);
    for (const x of Object.values(v)) containers(x, out);
  }
  return out;
}

/** Parses `seed` as JSON and changes one to three nodes; falls back to the seed when it is not JSON. */
export function mutateJson(rng: Prng, seed: Uint8Array): Uint8Array {
  let root: unknown;
  try {
    root = JSON.parse(new TextDecoder().decode(seed));
  } catch {
    return seed;
  }
  for (let n = 1 + rng.int(3); n > 0; n--) {
    const all = containers(root);
    if (all.length === 0) {
      root = randomValue(rng);
      continue;
    }
    const c = rng.pick(all);
    if (Array.isArray(c)) {
      const op = rng.int(4);
      if (op === 0 || c.length === 0) c.push(randomValue(rng));
      else if (op === 1) c.splice(rng.int(c.length), 1);
      else if (op === 2) c[rng.int(c.length)] = randomValue(rng);
      else c.push(c[rng.int(c.length)]);
    } else {
      const keys = Object.keys(c);
      const op = rng.int(4);
      if (op === 0 || keys.length === 0) c[rng.pick(STRINGS)] = randomValue(rng);
      else if (op === 1) delete c[rng.pick(keys)];
      else if (op === 2) c[rng.pick(keys)] = randomValue(rng);
      else {
        const k = rng.pick(keys);
        c[`${k}${rng.pick(['', 's', '_'])}`] = c[k];
        delete c[k];
      }
    }
  }
  return utf8Encode(JSON.stringify(root) ?? 'null');
}
