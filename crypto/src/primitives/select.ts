// Backend selection: explicit by name, or by capability of the running platform.
import { createPrimitives } from './index';
import { nobleBackend } from './noble';
import type { BackendName, Primitives, RandomSource, RawBackend } from './types';

/** Raw backends available synchronously in this process. (sodium and node are added by their modules.) */
export function rawBackends(): RawBackend[] {
  return [nobleBackend];
}

export function primitivesFor(name: BackendName, random: RandomSource): Primitives {
  const backend = rawBackends().find((b) => b.name === name);
  if (!backend) throw new TypeError(`"name" unknown or unavailable backend: ${name}`);
  return createPrimitives(backend, random);
}
