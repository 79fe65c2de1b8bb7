// The dependency rules of docs/ARCHITECTURE (README "Layout"), checked on the source text:
//   miniprogram -> client -> crypto; relay -> crypto's wire module and public log fold only;
//   crypto/ does no I/O and never reads Math.random or the clock.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function sourceFiles(dir: string): string[] {
  const abs = join(ROOT, dir);
  let entries: string[];
  try {
    entries = readdirSync(abs);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const name of entries) {
    const path = join(abs, name);
    if (name === 'node_modules' || name === 'miniprogram_npm') continue;
    if (statSync(path).isDirectory()) out.push(...sourceFiles(relative(ROOT, path)));
    else if (/\.(ts|js|mjs|cjs)$/.test(name) && !/\.test\.ts$/.test(name)) out.push(relative(ROOT, path));
  }
  return out;
}

/** Every module specifier imported (static, dynamic, or re-exported) by a file. */
function importsOf(text: string): string[] {
  const specs: string[] = [];
  const patterns = [
    /\bimport\s+(?:type\s+)?(?:[\w*{}\s,]+\s+from\s+)?['"]([^'"]+)['"]/g,
    /\bexport\s+(?:type\s+)?[\w*{}\s,]+\s+from\s+['"]([^'"]+)['"]/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) specs.push(m[1]!);
  return specs;
}

/** Resolves a relative specifier to a repo-relative path (without extension). */
function target(file: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  return relative(ROOT, resolve(ROOT, dirname(file), spec)).replace(/\.(ts|js)$/, '');
}

const RELAY_MAY_IMPORT = [
  /^crypto\/src\/wire\//,
  /^crypto\/src\/log\/public-fold$/,
  /^crypto\/src\/identity\/member-id$/,
  /^crypto\/src\/kdf$/,
  /^crypto\/src\/labels$/,
  /^crypto\/src\/errors$/,
  /^crypto\/src\/bytes$/,
  /^crypto\/src\/primitives\//,
];

/** crypto/ files allowed to touch Node built-ins: Node-only backends and the Node CSPRNG. */
const CRYPTO_NODE_ALLOWED = [/^crypto\/src\/primitives\/(node|random|sodium|node-[\w-]+)\.ts$/];

describe('architecture', () => {
  it('finds the source files it checks', () => {
    expect(sourceFiles('crypto/src').length).toBeGreaterThan(5);
    expect(sourceFiles('relay/src').length).toBeGreaterThan(0);
  });

  it('crypto/ imports nothing from client/, relay/ or miniprogram/', () => {
    const bad: string[] = [];
    for (const f of sourceFiles('crypto/src')) {
      for (const spec of importsOf(readFileSync(join(ROOT, f), 'utf8'))) {
        const t = target(f, spec);
        if (t && !t.startsWith('crypto/')) bad.push(`${f} -> ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('crypto/ does no I/O: no Node built-ins outside the Node-only backends', () => {
    const bad: string[] = [];
    for (const f of sourceFiles('crypto/src')) {
      if (CRYPTO_NODE_ALLOWED.some((re) => re.test(f))) continue;
      for (const spec of importsOf(readFileSync(join(ROOT, f), 'utf8'))) {
        if (spec.startsWith('node:') || ['fs', 'net', 'http', 'https', 'child_process', 'crypto', 'os', 'path'].includes(spec)) {
          bad.push(`${f} -> ${spec}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it('crypto/ never reads Math.random or the clock (randomness and time are parameters)', () => {
    const bad: string[] = [];
    for (const f of sourceFiles('crypto/src')) {
      const text = readFileSync(join(ROOT, f), 'utf8').replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
      if (/Math\.random|Date\.now|new Date\(|performance\.now/.test(text)) bad.push(f);
    }
    expect(bad).toEqual([]);
  });

  it('relay/ uses only the wire module, the public log fold and the primitives from crypto/', () => {
    const bad: string[] = [];
    for (const f of sourceFiles('relay/src')) {
      for (const spec of importsOf(readFileSync(join(ROOT, f), 'utf8'))) {
        const t = target(f, spec);
        if (!t) continue;
        if (t.startsWith('client/') || t.startsWith('miniprogram/')) bad.push(`${f} -> ${spec}`);
        if (t.startsWith('crypto/') && !RELAY_MAY_IMPORT.some((re) => re.test(t))) bad.push(`${f} -> ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('client/ never imports relay/ or miniprogram/', () => {
    const bad: string[] = [];
    for (const f of sourceFiles('client/src')) {
      for (const spec of importsOf(readFileSync(join(ROOT, f), 'utf8'))) {
        const t = target(f, spec);
        if (t && (t.startsWith('relay/') || t.startsWith('miniprogram/'))) bad.push(`${f} -> ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('the checker itself catches a forbidden import (self-test)', () => {
    expect(importsOf(`import { a } from '../../client/src/x';\nconst m = await import('node:fs');`)).toEqual([
      '../../client/src/x',
      'node:fs',
    ]);
    expect(target('relay/src/app.ts', '../../crypto/src/message/chain')).toBe('crypto/src/message/chain');
    expect(RELAY_MAY_IMPORT.some((re) => re.test('crypto/src/message/chain'))).toBe(false);
  });
});
