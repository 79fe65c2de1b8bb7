// Test helper: every backend this platform runs, raw and policy-wrapped.
import fc from 'fast-check';
import { expect } from 'vitest';
import { bytesToHex } from '../../src/bytes';
import { createPrimitives } from '../../src/primitives/index';
import { nodeRandom } from '../../src/primitives/random';
import { loadBackends } from '../../src/primitives/select';
import type { Primitives, RawBackend } from '../../src/primitives/types';
import { isE2eeError } from '../../src/errors';

export interface LoadedBackend {
  readonly raw: RawBackend;
  readonly p: Primitives;
}

/** All three backends; on Node every one of them must load (a missing one is a failure, not a skip). */
export async function loadAll(): Promise<LoadedBackend[]> {
  const raws = await loadBackends();
  expect(raws.map((b) => b.name)).toEqual(['noble', 'sodium', 'node']);
  return raws.map((raw) => ({ raw, p: createPrimitives(raw, nodeRandom) }));
}

/** Runs `f`; returns 'ok' with its value, or the kind of failure (an E2eeError code, RangeError, ...). */
export function outcome<T>(f: () => T): { ok: true; value: T } | { ok: false; kind: string } {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    if (isE2eeError(e)) return { ok: false, kind: e.code };
    if (e instanceof RangeError) return { ok: false, kind: 'RangeError' };
    if (e instanceof TypeError) return { ok: false, kind: 'TypeError' };
    return { ok: false, kind: `unexpected ${String(e)}` };
  }
}

/** fast-check arbitrary for byte strings of length min..max, and for 32-byte keys. */
export const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
export const key32 = bytes(32, 32);

/** Asserts every backend returns the same bytes for `f`, and returns them. */
export function agree(backends: readonly Primitives[], f: (p: Primitives) => Uint8Array): Uint8Array {
  const outs = backends.map(f);
  const first = bytesToHex(outs[0]!);
  for (let i = 1; i < outs.length; i++) expect(bytesToHex(outs[i]!), backends[i]!.backend).toBe(first);
  return outs[0]!;
}

/** Flips one byte of a copy (xor with a non-zero value). */
export function tamper(data: Uint8Array, index: number, xor: number): Uint8Array {
  const out = data.slice();
  out[index % out.length]! ^= xor;
  return out;
}
