// Discovers every suite in test-vectors/suites/.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { VectorSuite } from './suite';

export const VECTORS_DIR = dirname(fileURLToPath(import.meta.url));

export async function loadSuites(): Promise<VectorSuite[]> {
  const dir = join(VECTORS_DIR, 'suites');
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort();
  const suites: VectorSuite[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as { suite?: VectorSuite };
    if (!mod.suite) throw new Error(`test-vectors/suites/${f} does not export "suite"`);
    suites.push(mod.suite);
  }
  return suites;
}
