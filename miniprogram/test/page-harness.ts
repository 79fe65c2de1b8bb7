// Page-test toolchain: a compiled copy of the mini program (TS -> CommonJS, as the
// DevTools TypeScript plugin would produce), jsdom globals, and miniprogram-simulate
// with the official template compiler (whose Linux binaries ship without their run bit).
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';
import { JSDOM } from 'jsdom';
import { packageFiles } from '../../scripts/bundle-size';

export { packageFiles };

export const MINIPROGRAM_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/**
 * Copies the mini program to a temp dir with every .ts compiled to a CommonJS .js
 * (ES2017, as DevTools' TypeScript plugin emits), so simulate's `require` can run it.
 */
export function compileProjectCopy(): { root: string; dispose(): void } {
  const root = mkdtempSync(join(tmpdir(), 'wx-miniprogram-'));
  for (const file of packageFiles(MINIPROGRAM_ROOT)) {
    const from = join(MINIPROGRAM_ROOT, file);
    mkdirSync(dirname(join(root, file)), { recursive: true });
    if (file.endsWith('.ts')) {
      const { code } = transformSync(readFileSync(from, 'utf8'), { loader: 'ts', format: 'cjs', target: 'es2017', sourcefile: file });
      writeFileSync(join(root, file.replace(/\.ts$/, '.js')), code);
    } else {
      cpSync(from, join(root, file));
    }
  }
  // The copy is CommonJS regardless of the repository's "type": "module".
  writeFileSync(join(root, 'package.json'), '{ "type": "commonjs" }\n');
  return { root, dispose: () => rmSync(root, { recursive: true, force: true }) };
}

/** chmod +x the official compiler binaries (npm ships them without the run bit). */
export function makeCompilerExecutable(): string[] {
  const bin = join(dirname(require.resolve('miniprogram-compiler/package.json')), 'bin', 'linux');
  const binaries = ['wcc', 'wcsc'].map((name) => join(bin, name));
  for (const path of binaries) chmodSync(path, 0o755);
  return binaries;
}

type Simulate = typeof import('miniprogram-simulate');
let simulate: Simulate | null = null;

/** jsdom's window, document, Event, CustomEvent and HTMLElement as globals, then miniprogram-simulate. */
export function loadSimulate(): Simulate {
  if (simulate) return simulate;
  makeCompilerExecutable();
  const dom = new JSDOM('<!doctype html><html><head></head><body></body></html>', { pretendToBeVisual: true });
  const g = globalThis as Record<string, unknown>;
  const w = dom.window as unknown as Record<string, unknown>;
  for (const name of ['window', 'document', 'Event', 'CustomEvent', 'HTMLElement', 'Element', 'Node', 'navigator', 'getComputedStyle']) {
    const value = name === 'window' ? dom.window : w[name];
    Object.defineProperty(g, name, { value, configurable: true, writable: true });
  }
  simulate = require('miniprogram-simulate') as Simulate;
  return simulate;
}

/** The compiled copy's own module (same instance the pages use), e.g. 'lib/store'. */
export function requireFromCopy<T>(root: string, module: string): T {
  return require(join(root, module)) as T;
}

/** Lets the asynchronous event dispatch and setData of j-component run. */
export function tick(ms = 0): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
