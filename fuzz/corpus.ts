// The corpus: inputs that once failed (or once hung), kept as fuzz/corpus/<target>/*.bin
// and replayed by `npm test` (fuzz/fuzz.test.ts) so a fixed bug stays fixed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './seeds';

export const CORPUS_DIR = join(ROOT, 'fuzz', 'corpus');

export function corpusOf(target: string): { file: string; input: Uint8Array }[] {
  const dir = join(CORPUS_DIR, target);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.bin'))
    .sort()
    .map((f) => ({ file: join(dir, f), input: new Uint8Array(readFileSync(join(dir, f))) }));
}

/** Corpus folders with no target of that name (a renamed target would silently stop replaying). */
export function orphanCorpusDirs(names: readonly string[]): string[] {
  if (!existsSync(CORPUS_DIR)) return [];
  return readdirSync(CORPUS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !names.includes(d.name))
    .map((d) => d.name);
}
