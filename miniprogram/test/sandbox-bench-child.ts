// Child process of bench/suites/miniprogram.ts, run as `node --jitless --import tsx ...`
// (no JIT, as JavaScriptCore on iOS runs the logic layer). Prints one JSON line.
//
//   cold <bundle.js>          time from loading the bundle into a fresh logic-layer sandbox
//                             to ready: pool filled from the async wx.getRandomValues,
//                             primitives built, one identity key derived
//   ops <bundle.js> [--quick] noble sign / verify / seal / open ops/s inside the sandbox
import { readFileSync } from 'node:fs';
import { measureOpsPerSecond } from '../../bench/schema';
import type { Primitives } from '../../crypto/src/primitives/types';
import { createLogicLayerSandbox } from './sandbox';

interface SdkExports {
  startCrypto(options?: { poolCapacity?: number }): Promise<{ primitives: Primitives; pool: { available(): number } }>;
  utf8Encode(text: string): Uint8Array;
}

export const POOL_BYTES = 64 * 1024;

async function coldStart(bundlePath: string): Promise<Record<string, unknown>> {
  const code = readFileSync(bundlePath, 'utf8');
  const sandbox = createLogicLayerSandbox();
  const start = performance.now();
  const sdk = sandbox.loadModule<SdkExports>(code);
  const loaded = performance.now();
  const { primitives } = await sdk.startCrypto({ poolCapacity: POOL_BYTES });
  primitives.ed25519PublicKey(primitives.randomBytes(32));
  const ready = performance.now();
  await sandbox.close();
  return { coldStartMs: ready - start, loadMs: loaded - start, bundleBytes: Buffer.byteLength(code) };
}

async function opsPerSecond(bundlePath: string, quick: boolean): Promise<Record<string, unknown>> {
  const sandbox = createLogicLayerSandbox();
  const sdk = sandbox.loadModule<SdkExports>(readFileSync(bundlePath, 'utf8'));
  const { primitives: p } = await sdk.startCrypto({ poolCapacity: POOL_BYTES });
  const seed = p.randomBytes(32);
  const publicKey = p.ed25519PublicKey(seed);
  const message = p.randomBytes(256);
  const signature = p.ed25519Sign(seed, message);
  const key = p.randomBytes(32);
  const nonce = p.randomBytes(24);
  const aad = p.randomBytes(32);
  const plaintext = p.randomBytes(1024);
  const sealed = p.xchachaSeal(key, nonce, plaintext, aad);
  const opts = quick ? { rounds: 2, ms: 150, batch: 2 } : { rounds: 5, ms: 1000, batch: 4 };
  const result = {
    'ed25519-sign': measureOpsPerSecond(() => p.ed25519Sign(seed, message), opts),
    'ed25519-verify': measureOpsPerSecond(() => {
      if (!p.ed25519Verify(publicKey, message, signature)) throw new Error('verify failed');
    }, opts),
    'xchacha-seal': measureOpsPerSecond(() => p.xchachaSeal(key, nonce, plaintext, aad), opts),
    'xchacha-open': measureOpsPerSecond(() => p.xchachaOpen(key, nonce, sealed, aad), opts),
  };
  await sandbox.close();
  return result;
}

const [mode, bundlePath] = process.argv.slice(2);
if (!bundlePath || (mode !== 'cold' && mode !== 'ops')) {
  console.error('usage: sandbox-bench-child.ts cold|ops <bundle.js> [--quick]');
  process.exit(2);
}
const jitless = process.execArgv.includes('--jitless');
const out = mode === 'cold' ? await coldStart(bundlePath) : await opsPerSecond(bundlePath, process.argv.includes('--quick'));
process.stdout.write(JSON.stringify({ ...out, jitless, wasm: typeof WebAssembly !== 'undefined' }) + '\n');
