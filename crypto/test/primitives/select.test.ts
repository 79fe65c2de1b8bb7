// Backend selection and the import boundary that keeps the mini program bundle free of
// node:crypto and libsodium.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BACKEND_UNAVAILABLE, isE2eeError } from '../../src/errors';
import { nodeRandom } from '../../src/primitives/random';
import {
  availableBackendNames,
  defaultBackendName,
  detectCapabilities,
  loadBackends,
  loadDefaultPrimitives,
  primitivesFor,
  rawBackends,
} from '../../src/primitives/select';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/primitives');

describe('backend selection', () => {
  // Runs first: in this file's module instance nothing has loaded sodium or node yet.
  it('before loadBackends only noble is there, and asking for another is E2E_ERR_BACKEND_UNAVAILABLE', () => {
    expect(rawBackends().map((b) => b.name)).toEqual(['noble']);
    expect(primitivesFor('noble', nodeRandom).backend).toBe('noble');
    let error: unknown;
    try {
      primitivesFor('sodium', nodeRandom);
    } catch (e) {
      error = e;
    }
    expect(isE2eeError(error, BACKEND_UNAVAILABLE)).toBe(true);
  });

  it('rejects an unknown backend name with a TypeError naming the argument', () => {
    expect(() => primitivesFor('openssl' as never, nodeRandom)).toThrow(TypeError);
    expect(() => primitivesFor('openssl' as never, nodeRandom)).toThrow(/"name"/);
  });

  it('chooses by capability: node on Node, noble without WebAssembly, sodium elsewhere', () => {
    expect(defaultBackendName({ node: true, webAssembly: true })).toBe('node');
    expect(defaultBackendName({ node: false, webAssembly: false })).toBe('noble');
    expect(defaultBackendName({ node: false, webAssembly: true })).toBe('sodium');
    expect(defaultBackendName({ node: true, webAssembly: false })).toBe('noble'); // node --jitless
    expect(availableBackendNames({ node: true, webAssembly: false })).toEqual(['noble']);
    expect(availableBackendNames({ node: false, webAssembly: false })).toEqual(['noble']);
    expect(availableBackendNames({ node: false, webAssembly: true })).toEqual(['noble', 'sodium']);
    expect(availableBackendNames({ node: true, webAssembly: true })).toEqual(['noble', 'sodium', 'node']);
  });

  it('reads capabilities from globals only (WeChat logic layer: no WebAssembly, no process)', () => {
    expect(detectCapabilities({})).toEqual({ node: false, webAssembly: false });
    expect(detectCapabilities({ WXWebAssembly: {} })).toEqual({ node: false, webAssembly: false });
    expect(detectCapabilities({ WebAssembly: {} })).toEqual({ node: false, webAssembly: true });
    expect(detectCapabilities({ WebAssembly: {}, process: { versions: { node: '20.19.0' } } })).toEqual({ node: true, webAssembly: true });
    expect(detectCapabilities()).toEqual({ node: true, webAssembly: true });
  });

  it('on a WebAssembly-less platform loadBackends offers noble alone', async () => {
    const names = (await loadBackends({ node: false, webAssembly: false })).map((b) => b.name);
    expect(names).toEqual(['noble']);
  });

  it('loads all three on Node; the default is node', async () => {
    expect((await loadBackends()).map((b) => b.name)).toEqual(['noble', 'sodium', 'node']);
    expect((await loadBackends()).length).toBe(3); // idempotent
    expect((await loadDefaultPrimitives(nodeRandom)).backend).toBe('node');
    expect(primitivesFor('sodium', nodeRandom).backend).toBe('sodium');
  });
});

/** Static imports only (dynamic import() is how select.ts reaches node.ts and sodium.ts). */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/\/\/.*$/gm, '');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,]+\s+from\s+)?['"]([^'"]+)['"]/gm)) {
    if (/^\s*import\s+type\s/.test(m[0]) || /^\s*export\s+type\s/.test(m[0])) continue;
    out.push(m[1]!);
  }
  return out;
}

/** Every module reachable by static imports from `entry`, as specifiers or file paths. */
function staticGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const stack = [entry];
  while (stack.length) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of staticImports(file)) {
      if (spec.startsWith('.')) stack.push(resolve(dirname(file), spec) + '.ts');
      else seen.add(spec);
    }
  }
  return seen;
}

describe('import boundary', () => {
  for (const entry of ['noble.ts', 'index.ts', 'policy.ts', 'select.ts']) {
    it(`${entry} does not statically pull in node:crypto, libsodium, node.ts, sodium.ts or random.ts`, () => {
      const graph = [...staticGraph(join(SRC, entry))];
      expect(graph.length).toBeGreaterThan(1);
      const bad = graph.filter((m) => m.startsWith('node:') || m.startsWith('libsodium') || /primitives\/(node|sodium|random)\.ts$/.test(m));
      expect(bad).toEqual([]);
    });
  }

  it('the checker sees a forbidden import (self-test)', () => {
    const graph = [...staticGraph(join(SRC, 'node.ts'))];
    expect(graph).toContain('node:crypto');
    expect(graph).toContain('libsodium-wrappers');
  });
});
