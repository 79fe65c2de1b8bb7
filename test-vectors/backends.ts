// Every backend available in this process, each with a fresh CSPRNG source.
// Vectors never depend on this randomness: generators use a seeded RNG.
import { nodeRandom } from '../crypto/src/primitives/random';
import { loadBackends, primitivesFor } from '../crypto/src/primitives/select';
import type { Primitives } from '../crypto/src/primitives/types';

export async function allPrimitives(): Promise<Primitives[]> {
  const raw = await loadBackends();
  return raw.map((b) => primitivesFor(b.name, nodeRandom));
}
