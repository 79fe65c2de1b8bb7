// npm run bench:miniprogram [-- --quick]: the mini program's crypto core inside the
// logic-layer sandbox (miniprogram/test/sandbox.ts), in child processes run with
// `node --jitless` (the closest Node gets to JavaScriptCore without JIT on iOS).
//
//   miniprogram-cold-start  ms     load lib/sdk.js into a fresh sandbox, fill the entropy pool
//                                  from the async wx.getRandomValues, build the primitives,
//                                  derive one key; one fresh process per sample (p50, p90)
//   ed25519-sign/verify, xchacha-seal/open  ops/s inside the sandbox, impl ours-noble-jitless
//   miniprogram-bundle-size bytes  the minified crypto + SDK bundle
//
// Backlog decrypt-and-render and kick-commit figures need the client SDK (not built yet).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildMiniprogramBundle } from '../../scripts/build-miniprogram';
import { emitFigure, median, percentile } from '../schema';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CHILD = join(ROOT, 'miniprogram', 'test', 'sandbox-bench-child.ts');
const IMPL = 'ours-noble-jitless';
const POOL_BYTES = 64 * 1024;

function runChild(args: string[], timeoutMs: number): Record<string, unknown> {
  const result = spawnSync(process.execPath, ['--jitless', '--no-warnings', '--import', 'tsx', CHILD, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  if (result.status !== 0) {
    throw new Error(`sandbox bench child failed (${result.status ?? result.signal}): ${(result.stderr ?? '').slice(0, 2000)}`);
  }
  const line = result.stdout.trim().split('\n').pop() ?? '';
  const parsed = JSON.parse(line) as Record<string, unknown>;
  if (parsed.jitless !== true || parsed.wasm !== false) throw new Error('bench child did not run without JIT and WebAssembly');
  return parsed;
}

export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const dir = mkdtempSync(join(tmpdir(), 'mp-bench-'));
  try {
    const bundle = await buildMiniprogramBundle();
    const bundlePath = join(dir, 'sdk.js');
    writeFileSync(bundlePath, bundle.code);
    emitFigure({ name: 'miniprogram-bundle-size', impl: 'ours-noble', unit: 'bytes', value: bundle.bytes, params: { minified: true, target: 'es2017' } });

    const samples = quick ? 3 : 15;
    const cold: number[] = [];
    for (let i = 0; i < samples; i++) {
      process.stderr.write(`miniprogram: cold start ${i + 1}/${samples}\n`);
      cold.push(Number(runChild(['cold', bundlePath], 60_000).coldStartMs));
    }
    const params = { poolBytes: POOL_BYTES, runs: samples };
    emitFigure({ name: 'miniprogram-cold-start', impl: IMPL, unit: 'ms', value: median(cold), params: { ...params, percentile: 'p50' } });
    emitFigure({ name: 'miniprogram-cold-start', impl: IMPL, unit: 'ms', value: percentile(cold, 0.9), params: { ...params, percentile: 'p90' } });

    process.stderr.write('miniprogram: noble primitives in the jitless sandbox\n');
    const ops = runChild(['ops', bundlePath, ...(quick ? ['--quick'] : [])], 300_000);
    emitFigure({ name: 'ed25519-sign', impl: IMPL, unit: 'ops/s', value: Number(ops['ed25519-sign']), params: { bytes: 256 } });
    emitFigure({ name: 'ed25519-verify', impl: IMPL, unit: 'ops/s', value: Number(ops['ed25519-verify']), params: { bytes: 256 } });
    emitFigure({ name: 'xchacha-seal', impl: IMPL, unit: 'ops/s', value: Number(ops['xchacha-seal']), params: { bytes: 1024 } });
    emitFigure({ name: 'xchacha-open', impl: IMPL, unit: 'ops/s', value: Number(ops['xchacha-open']), params: { bytes: 1024 } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
