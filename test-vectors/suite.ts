// A vector suite: one JSON file in test-vectors/, its deterministic generator, and
// its verifier. Suites live in test-vectors/suites/*.ts and export `suite`.
// The CLI (test-vectors/cli.ts) and the test (test-vectors/vectors.test.ts) discover them.
import type { Primitives } from '../crypto/src/primitives/types';

export interface VectorSuite {
  /** File name in test-vectors/, e.g. "sender-chain.json". */
  readonly file: string;
  /** Builds the whole file content deterministically (seeded RNG only). */
  generate(): unknown;
  /**
   * Checks the file against `p`. Returns one message per field-level mismatch
   * (`tcId 3: messageKey: expected ab.., got cd..`); an empty array means pass.
   */
  verify(data: unknown, p: Primitives): string[];
}
