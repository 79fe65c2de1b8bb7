// The size budgets: crypto + SDK bundle <= 250 KB minified, main package <= 1.5 MB,
// checked on a fresh build; and the script's exit code when a budget is exceeded.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRIDGE_REQUIRES_SDK, buildBridgeBundle, requiresIn } from '../../scripts/build-miniprogram';
import { BUNDLE_BUDGET_BYTES, measureSizes, PACKAGE_BUDGET_BYTES, packageFiles } from '../../scripts/bundle-size';
import { bridgeBundle, sdkBundle } from './bundle';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let dir = '';
let bundlePath = '';
let bridgePath = '';
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mp-size-'));
  bundlePath = join(dir, 'sdk.js');
  bridgePath = join(dir, 'bridge.js');
  writeFileSync(bundlePath, (await sdkBundle()).code);
  writeFileSync(bridgePath, (await bridgeBundle()).code);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'scripts/bundle-size.ts', '--bundle', bundlePath, '--bridge', bridgePath, ...args], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
}

describe('bundle size budgets', () => {
  it('the main package is within budget; tests and build inputs are not counted', async () => {
    const report = await measureSizes({ bundle: bundlePath, bridge: bridgePath });
    expect(report.bundleBytes).toBe((await sdkBundle()).bytes);
    expect(report.bridgeBytes).toBe((await bridgeBundle()).bytes);
    expect(report.packageBytes).toBeGreaterThan(report.bundleBytes + report.bridgeBytes);
    expect(report.packageBytes).toBeLessThanOrEqual(PACKAGE_BUDGET_BYTES);
    expect(report.overBudget).not.toContain('package');
    // Every page's four files are counted; tests and build inputs are not.
    const files = packageFiles();
    expect(files).toContain('pages/chat/index.wxml');
    expect(files.filter((f) => f.startsWith('test/') || f.startsWith('bridge/') || f === 'sdk-entry.ts' || f === 'bridge-entry.ts' || f === 'lib/wx-platform.ts' || f.endsWith('.test.ts'))).toEqual([]);
  });

  it('the crypto + SDK bundle is within 250 KB', async () => {
    const report = await measureSizes({ bundle: bundlePath });
    expect(report.bundleBytes).toBe((await sdkBundle()).bytes);
    expect(report.bundleBytes).toBeLessThanOrEqual(BUNDLE_BUDGET_BYTES);
    expect(report.overBudget).not.toContain('bundle');
  });

  it('the UI bridge is its own bundle: mini program code only, every SDK value from lib/sdk.js', async () => {
    const sdk = await sdkBundle();
    const bridge = await bridgeBundle();
    // No bridge module in the crypto + SDK bundle, and no crypto/client/package module in the bridge.
    expect(sdk.inputs.filter((i) => i.path.startsWith('miniprogram/bridge'))).toEqual([]);
    expect(bridge.inputs.length).toBeGreaterThan(3);
    expect(bridge.inputs.filter((i) => !i.path.startsWith('miniprogram/'))).toEqual([]);
    expect(bridge.inputs.map((i) => i.path)).toContain('miniprogram/bridge/runtime.ts');
    expect(sdk.inputs.map((i) => i.path)).toContain('client/src/sdk/group-engine.ts');
    expect([...new Set(requiresIn(bridge.code))]).toEqual([BRIDGE_REQUIRES_SDK]); // once per importing module
    expect(requiresIn(sdk.code)).toEqual([]);
  });

  it('the bridge build fails when a bridge module imports crypto or client code directly', async () => {
    // An entry outside the tree importing crypto/ by a relative path, as a bridge module would.
    const entry = join(dir, 'direct-import.ts');
    const spec = relative(dir, join(REPO, 'crypto', 'src', 'bytes')).split('\\').join('/');
    writeFileSync(entry, `import { bytesToHex } from '${spec}';\nexport const h = bytesToHex(new Uint8Array(1));\n`);
    await expect(buildBridgeBundle({ entry })).rejects.toThrow(/crypto\/src\/bytes directly/);
    // The same import through sdk-entry builds, as require('./sdk.js').
    writeFileSync(entry, `import { bytesToHex } from '${relative(dir, join(REPO, 'miniprogram', 'sdk-entry')).split('\\').join('/')}';\nexport const h = bytesToHex(new Uint8Array(1));\n`);
    expect([...new Set(requiresIn((await buildBridgeBundle({ entry })).code))]).toEqual([BRIDGE_REQUIRES_SDK]);
  });

  it('the script prints both sizes and exits 0 within budget, 1 over budget', () => {
    const ok = cli('--max-bundle-kb', '1024');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/crypto\+SDK bundle: \d+ bytes .* budget 1024\.0 KB: ok/);
    expect(ok.stdout).toMatch(/UI bridge bundle: \d+ bytes .* requires lib\/sdk\.js/);
    expect(ok.stdout).toMatch(/main package: \d+ bytes .* budget 1536\.0 KB: ok/);
    const over = cli('--max-bundle-kb', '8');
    expect(over.status).toBe(1);
    expect(over.stdout).toMatch(/crypto\+SDK bundle: .*OVER BUDGET/);
    const json = cli('--json', '--max-package-kb', '16', '--max-bundle-kb', '1024');
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ overBudget: ['package'], budgets: { packageBytes: 16 * 1024 } });
  });
});
