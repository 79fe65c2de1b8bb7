// Every backend available in this process, each with a fresh CSPRNG source.
// Vectors never depend on this randomness: generators use a seeded RNG.
import { nodeRandom } from '../crypto/src/primitives/random';
import { primitivesFor, rawBackends } from '../crypto/src/primitives/select';
import type { Primitives } from '../crypto/src/primitives/types';

export async function allPrimitives(): Promise<Primitives[]> {
  return rawBackends().map((b) => primitivesFor(b.name, nodeRandom));
}
