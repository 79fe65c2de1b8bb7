import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSuites, VECTORS_DIR } from './registry';
import { allPrimitives } from './backends';

const suites = await loadSuites();
const backends = await allPrimitives();

describe('published test vectors', () => {
  it('finds every published suite, each with its committed file', () => {
    // An empty or shrunken registry would make every check below vacuous.
    expect(suites.length).toBeGreaterThanOrEqual(12);
    for (const s of suites) expect(existsSync(join(VECTORS_DIR, s.file)), s.file).toBe(true);
  });
  for (const s of suites) {
    it(`${s.file}: the generator reproduces the committed file byte for byte`, () => {
      const committed = readFileSync(join(VECTORS_DIR, s.file), 'utf8');
      expect(JSON.stringify(s.generate(), null, 2) + '\n').toBe(committed);
    });
    for (const p of backends) {
      it(`${s.file}: verifies on ${p.backend}`, () => {
        const data = JSON.parse(readFileSync(join(VECTORS_DIR, s.file), 'utf8')) as unknown;
        expect(s.verify(data, p)).toEqual([]);
      });
    }
  }
});
