// Test helper: every backend this platform runs, raw and policy-wrapped.
import { expect } from 'vitest';
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
