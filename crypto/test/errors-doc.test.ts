// docs/ERRORS.md is the index of every stable error code; this keeps it complete.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

function codesInSource(): Set<string> {
  const codes = new Set<string>();
  for (const dir of ['crypto/src', 'client/src', 'relay/src', 'scripts']) {
    for (const file of sources(join(ROOT, dir))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/['"`](E2E_ERR_[A-Z0-9_]*[A-Z0-9])['"`]/g)) codes.add(m[1]!);
    }
  }
  return codes;
}

function relayCodeNames(): string[] {
  // The relay's numbered codes: `NAME: n` entries of the code table in the frames module.
  const text = readFileSync(join(ROOT, 'crypto/src/wire/relay-frames.ts'), 'utf8');
  const table = /export const RELAY_ERROR\w*\s*=\s*\{([\s\S]*?)\}/.exec(text);
  if (!table) return [];
  return [...table[1]!.matchAll(/^\s*([A-Z_]+)\s*:/gm)].map((m) => `E2E_ERR_RELAY_${m[1]}`);
}

describe('docs/ERRORS.md', () => {
  const doc = readFileSync(join(ROOT, 'docs/ERRORS.md'), 'utf8');

  it('lists every error code the source can raise', () => {
    const codes = codesInSource();
    expect(codes.size).toBeGreaterThan(30);
    const missing = [...codes].filter((c) => !doc.includes(`\`${c}\``));
    expect(missing).toEqual([]);
  });

  it('lists every numbered relay error', () => {
    const names = relayCodeNames();
    expect(names.length).toBeGreaterThan(10);
    const missing = names.filter((c) => !doc.includes(`\`${c}\``));
    expect(missing).toEqual([]);
  });
});
