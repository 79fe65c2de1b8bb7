// Builds the SDK bundle and the bridge bundle once per test file (in memory; lib/ is left alone).
//
// A build takes seconds (esbuild, the terse-errors analysis, terser), and most test files
// need the same bundle, so a build is also kept in node_modules/.cache/wxe2ee-miniprogram/,
// keyed by a hash of every file it read plus the build scripts and the lockfile: any change
// to any of them is a miss and a fresh build.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BRIDGE_REQUIRES_SDK, buildBridgeBundle, buildMiniprogramBundle, type BundleResult } from '../../scripts/build-miniprogram';
import type { LogicLayerSandbox } from './sandbox';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CACHE_DIR = join(REPO, 'node_modules', '.cache', 'wxe2ee-miniprogram');
/** Read by every build without being one of its inputs. */
const BUILD_FILES = ['scripts/build-miniprogram.ts', 'scripts/terse-errors.ts', 'scripts/iife-arrows.ts', 'package-lock.json'].map((f) => join(REPO, f));

let cached: Promise<BundleResult> | null = null;
let cachedBridge: Promise<BundleResult> | null = null;

/** Hash of the files' contents, or null when one is missing. */
function digest(files: string[]): string | null {
  const h = createHash('sha256');
  for (const f of [...files, ...BUILD_FILES]) {
    if (!existsSync(f)) return null;
    h.update(f).update('\0').update(readFileSync(f)).update('\0');
  }
  return h.digest('hex');
}

async function throughCache(name: string, build: () => Promise<BundleResult>): Promise<BundleResult> {
  const file = join(CACHE_DIR, `${name}.json`);
  try {
    const entry = JSON.parse(readFileSync(file, 'utf8')) as { key: string; result: BundleResult };
    if (digest(entry.result.sourceFiles) === entry.key) return entry.result;
  } catch {
    // No entry, or an unreadable one: build.
  }
  const result = await build();
  const key = digest(result.sourceFiles);
  if (key) {
    mkdirSync(CACHE_DIR, { recursive: true });
    const tmp = `${file}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
    writeFileSync(tmp, JSON.stringify({ key, result }));
    renameSync(tmp, file);
  }
  return result;
}

export function sdkBundle(): Promise<BundleResult> {
  cached ??= throughCache('sdk', () => buildMiniprogramBundle());
  return cached;
}

export function bridgeBundle(): Promise<BundleResult> {
  cachedBridge ??= throughCache('bridge', () => buildBridgeBundle());
  return cachedBridge;
}

/**
 * Loads lib/sdk.js and then lib/bridge.js in `sandbox` as the mini program does (the bridge's
 * `require('./sdk.js')` returns the SDK module); returns the SDK's exports with the bridge's.
 */
export function loadSdkWithBridge<T>(sandbox: LogicLayerSandbox, sdkCode: string, bridgeCode: string): T {
  const sdk = sandbox.loadModule<Record<string, unknown>>(sdkCode, 'lib/sdk.js');
  const bridge = sandbox.loadModule<Record<string, unknown>>(bridgeCode, 'lib/bridge.js', { [BRIDGE_REQUIRES_SDK]: sdk });
  return { ...sdk, ...bridge } as T;
}
