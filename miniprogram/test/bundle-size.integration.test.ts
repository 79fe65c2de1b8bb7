// The size budgets: crypto + SDK bundle <= 250 KB minified, main package <= 1.5 MB,
// checked on a fresh build; and the script's exit code when a budget is exceeded.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_BUDGET_BYTES, measureSizes, PACKAGE_BUDGET_BYTES, packageFiles } from '../../scripts/bundle-size';
import { sdkBundle } from './bundle';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let dir = '';
let bundlePath = '';
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mp-size-'));
  bundlePath = join(dir, 'sdk.js');
  writeFileSync(bundlePath, (await sdkBundle()).code);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'scripts/bundle-size.ts', '--bundle', bundlePath, ...args], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
}

describe('bundle size budgets', () => {
  it('the fresh crypto bundle and the main package are within budget', async () => {
    const report = await measureSizes({ bundle: bundlePath });
    expect(report.bundleBytes).toBe((await sdkBundle()).bytes);
    expect(report.bundleBytes).toBeLessThanOrEqual(BUNDLE_BUDGET_BYTES);
    expect(report.packageBytes).toBeGreaterThan(report.bundleBytes);
    expect(report.packageBytes).toBeLessThanOrEqual(PACKAGE_BUDGET_BYTES);
    expect(report.overBudget).toEqual([]);
    // Every page's four files are counted; tests and build inputs are not.
    const files = packageFiles();
    expect(files).toContain('pages/chat/index.wxml');
    expect(files.filter((f) => f.startsWith('test/') || f === 'sdk-entry.ts' || f.endsWith('.test.ts'))).toEqual([]);
  });

  it('the script prints both sizes and exits 0 within budget, 1 over budget', () => {
    const ok = cli();
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/crypto\+SDK bundle: \d+ bytes .* budget 250\.0 KB: ok/);
    expect(ok.stdout).toMatch(/main package: \d+ bytes .* budget 1536\.0 KB: ok/);
    const over = cli('--max-bundle-kb', '8');
    expect(over.status).toBe(1);
    expect(over.stdout).toMatch(/crypto\+SDK bundle: .*OVER BUDGET/);
    const json = cli('--json', '--max-package-kb', '16');
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ overBudget: ['package'], budgets: { packageBytes: 16 * 1024 } });
  });
});
