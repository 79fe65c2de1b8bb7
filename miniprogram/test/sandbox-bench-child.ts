// Child process of bench/suites/miniprogram.ts, run as `node --jitless --import tsx ...`
// (no JIT, as JavaScriptCore on iOS runs the logic layer). Prints one JSON line.
//
//   cold <bundle.js>          time from loading the bundle into a fresh logic-layer sandbox
//                             to ready: pool filled from the async wx.getRandomValues,
//                             primitives built, one identity key derived
//   ops <bundle.js> [--quick] noble sign / verify / seal / open ops/s inside the sandbox
//   client <bundle.js> <relayUrl> <userDataDir> [sends]
//                             the whole mini program client (startMiniProgram) against a
//                             relay the parent runs, driven by lines on stdin, answering JSON
//                             lines on stdout (bench/suites/miniprogram.ts):
//                               start            launch (fresh or existing store) -> {event:'ready', ms, memberId}
//                               wait-group <n>   until a group with n members shows -> {event:'group', groupId}
//                               stop             close the client and its sandbox -> {event:'stopped'}
//                               backlog <g> <n>  relaunch; time to ready and until n messages of g are in the view model
//                               kick <g> <id>    time one kick commit (perform 'kick') -> {event:'kicked', ms}
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { measureOpsPerSecond } from '../../bench/schema';
import type { Primitives } from '../../crypto/src/primitives/types';
import { buildBridgeBundle } from '../../scripts/build-miniprogram';
import { loadSdkWithBridge } from './bundle';
import { createLogicLayerSandbox } from './sandbox';

/** lib/bridge.js beside the SDK bundle when it was written there, else built in memory. */
async function bridgeCodeFor(bundlePath: string): Promise<string> {
  const beside = join(dirname(bundlePath), 'bridge.js');
  return existsSync(beside) ? readFileSync(beside, 'utf8') : (await buildBridgeBundle()).code;
}

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
  const publicKeyX = p.x25519PublicKey(p.randomBytes(32));
  const opts = quick ? { rounds: 2, ms: 150, batch: 2 } : { rounds: 5, ms: 1000, batch: 4 };
  const result = {
    'ed25519-sign': measureOpsPerSecond(() => p.ed25519Sign(seed, message), opts),
    'ed25519-verify': measureOpsPerSecond(() => {
      if (!p.ed25519Verify(publicKey, message, signature)) throw new Error('verify failed');
    }, opts),
    'xchacha-seal': measureOpsPerSecond(() => p.xchachaSeal(key, nonce, plaintext, aad), opts),
    'xchacha-open': measureOpsPerSecond(() => p.xchachaOpen(key, nonce, sealed, aad), opts),
    // One envelope of a kick costs an ephemeral key and a shared secret: two of these.
    'x25519': measureOpsPerSecond(() => p.x25519(seed, publicKeyX), opts),
  };
  await sandbox.close();
  return result;
}

interface ViewModelLike {
  ready: boolean;
  problem: string;
  chats: { chatId: string }[];
  chatViews: Record<string, { memberCount: number; messages: unknown[] }>;
}
interface RuntimeLike {
  perform(intent: Record<string, unknown>): Promise<void>;
  current(): ViewModelLike;
  close(): Promise<void>;
  client: { memberIdHex: string; on(event: string, fn: (e: unknown) => void): () => void };
}

/** The line-driven client mode: one mini program client at a time, relaunched on the same user data. */
async function clientMode(bundlePath: string, relayUrl: string, userDataDir: string): Promise<void> {
  const code = readFileSync(bundlePath, 'utf8');
  const bridgeCode = await bridgeCodeFor(bundlePath);
  const jitless = process.execArgv.includes('--jitless');
  const say = (o: Record<string, unknown>) => process.stdout.write(JSON.stringify({ ...o, jitless, wasm: typeof WebAssembly !== 'undefined' }) + '\n');
  let sandbox: ReturnType<typeof createLogicLayerSandbox> | null = null;
  let rt: RuntimeLike | null = null;
  let latest: ViewModelLike | null = null;
  let onPublish: (() => void) | null = null;
  const launch = async () => {
    sandbox = createLogicLayerSandbox({ userDataDir });
    const t0 = performance.now();
    const sdk = loadSdkWithBridge<{ startMiniProgram(o: Record<string, unknown>): Promise<RuntimeLike> }>(sandbox, code, bridgeCode);
    rt = await sdk.startMiniProgram({
      relayUrl,
      publish: (vm: ViewModelLike) => {
        latest = vm;
        onPublish?.();
      },
      engine: { autoCommitJitterMs: 0 },
    });
    if (process.env.MP_BENCH_TRACE) {
      for (const name of ['alarm', 'error', 'status', 'connection', 'membership']) {
        rt.client.on(name, (e) => process.stderr.write(`child ${name}: ${JSON.stringify(e, (_k, v: unknown) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v instanceof Error ? `${v.name}: ${v.message}` : v))}\n`));
      }
    }
    return { t0, readyMs: performance.now() - t0 };
  };
  const until = (test: (vm: ViewModelLike) => boolean, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out')), timeoutMs);
      const check = () => {
        if (latest && test(latest)) {
          clearTimeout(timer);
          onPublish = null;
          resolve();
        }
      };
      onPublish = check;
      check();
    });
  const stop = async () => {
    await rt?.close();
    await sandbox?.close();
    rt = null;
    sandbox = null;
    latest = null;
  };
  for await (const line of createInterface({ input: process.stdin })) {
    const [cmd, a, b] = line.trim().split(/\s+/);
    try {
      if (cmd === 'start') {
        const { readyMs } = await launch();
        say({ event: 'ready', ms: readyMs, memberId: rt!.client.memberIdHex });
      } else if (cmd === 'wait-group') {
        const n = Number(a);
        const found = (vm: ViewModelLike) => Object.keys(vm.chatViews).find((id) => vm.chatViews[id]!.memberCount === n);
        await until((vm) => !!found(vm), 300_000);
        say({ event: 'group', groupId: found(latest!) });
      } else if (cmd === 'stop') {
        await stop();
        say({ event: 'stopped' });
      } else if (cmd === 'backlog') {
        const n = Number(b);
        const { t0, readyMs } = await launch();
        await until((vm) => (vm.chatViews[a!]?.messages.length ?? 0) >= n, 300_000);
        say({ event: 'backlog', readyMs, backlogMs: performance.now() - t0, messages: latest!.chatViews[a!]!.messages.length });
      } else if (cmd === 'kick') {
        const before = latest!.chatViews[a!]!.memberCount;
        const t0 = performance.now();
        const mark0 = process.hrtime.bigint();
        await rt!.perform({ type: 'kick', chatId: a, memberId: b });
        const ms = performance.now() - t0;
        // MP_BENCH_MARKS=<file>: the kick's window on the monotonic clock (µs, as in --cpu-prof).
        if (process.env.MP_BENCH_MARKS) appendFileSync(process.env.MP_BENCH_MARKS, `kick ${mark0 / 1000n} ${process.hrtime.bigint() / 1000n}\n`);
        const vm = rt!.current();
        say({ event: 'kicked', ms, problem: vm.problem, members: vm.chatViews[a!]!.memberCount, before });
      } else if (cmd === 'exit') {
        await stop();
        break;
      }
    } catch (error) {
      say({ event: 'error', message: error instanceof Error ? error.message : String(error) });
    }
  }
  process.exit(0);
}

const [mode, bundlePath] = process.argv.slice(2);
if (!bundlePath || (mode !== 'cold' && mode !== 'ops' && mode !== 'client')) {
  console.error('usage: sandbox-bench-child.ts cold|ops <bundle.js> [--quick] | client <bundle.js> <relayUrl> <userDataDir>');
  process.exit(2);
}
const jitless = process.execArgv.includes('--jitless');
if (mode === 'client') {
  await clientMode(bundlePath, process.argv[4]!, process.argv[5]!);
} else {
  const out = mode === 'cold' ? await coldStart(bundlePath) : await opsPerSecond(bundlePath, process.argv.includes('--quick'));
  process.stdout.write(JSON.stringify({ ...out, jitless, wasm: typeof WebAssembly !== 'undefined' }) + '\n');
}
