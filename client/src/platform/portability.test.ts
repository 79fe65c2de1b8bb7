// The modules the mini program bundles must not reach Node built-ins (WeChat's logic layer
// has no fs, no Buffer module, no TextEncoder): only node-store.ts and node.ts may.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const CLIENT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const NODE_ONLY = new Set(['store/node-store.ts', 'platform/node.ts']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

it('portable client modules (history, store, entropy pool) import no Node built-ins', () => {
  const files = ['history', 'store', 'platform'].flatMap((d) => sources(join(CLIENT, d)));
  expect(files.length).toBeGreaterThan(15);
  const bad: string[] = [];
  for (const file of files) {
    const rel = relative(CLIENT, file);
    if (NODE_ONLY.has(rel)) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\bfrom\s+['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = m[1] ?? m[2]!;
      if (spec.startsWith('node:') || ['fs', 'path', 'os', 'crypto', 'buffer', 'child_process'].includes(spec)) bad.push(`${rel} -> ${spec}`);
      if (spec.includes('node-store') || spec.endsWith('/random')) bad.push(`${rel} -> ${spec}`);
    }
    if (/\bprocess\.|\brequire\(/.test(text.replace(/\/\/.*$/gm, ''))) bad.push(`${rel} uses process or require`);
  }
  expect(bad).toEqual([]);
});
