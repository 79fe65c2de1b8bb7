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
//   miniprogram-cold-start (impl ours-noble-jitless-client)  ms  relaunch of the whole client
//                                  (startMiniProgram) on an existing install: pool, store,
//                                  account, login, socket started, first view model
//   miniprogram-backlog     ms     relaunch after 200 messages arrived while offline, until all
//                                  200 are decrypted, stored and in the view model (render-ready)
//   miniprogram-kick-commit ms     an admin's client commits a kick in a 100-member group
//                                  (fresh secret boxed to the 98 others), from tap to appended:
//                                  prekeys 'fetched' = the first kick of a fresh install (98
//                                  signed prekeys fetched and verified), 'cached' = a second
//                                  kick of that install after one member joined
//   --kick-only                    only the kick figures (profiling); MP_BENCH_CPU_PROF=<dir>
//                                  writes CPU profiles of the client children there
// The client figures run against a relay in this process; the other members are Node clients.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildMiniprogramBundle } from '../../scripts/build-miniprogram';
import { emitFigure, median, percentile } from '../schema';
import { loadBackends, primitivesFor } from '../../crypto/src/primitives/select';
import { nodeRandom } from '../../crypto/src/primitives/random';
import { nodePlatform } from '../../client/src/net/node-platform';
import { createMemoryStore } from '../../client/src/store/memory-store';
import { createChatClient, type ChatClient } from '../../client/src/sdk/chat-client';
import { createMessaging, type Messaging } from '../../client/src/sdk/messaging';
import { startTestRelay } from '../../relay/test/helpers/relay';

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
  // --kick-only: only the kick figure (for profiling the kick; the lead's runs take everything).
  const kickOnly = args.includes('--kick-only');
  const dir = mkdtempSync(join(tmpdir(), 'mp-bench-'));
  try {
    const bundle = await buildMiniprogramBundle();
    const bundlePath = join(dir, 'sdk.js');
    // MP_BENCH_BUNDLE=<file>: run that bundle instead (e.g. an unminified build, for profiling).
    writeFileSync(bundlePath, process.env.MP_BENCH_BUNDLE ? readFileSync(process.env.MP_BENCH_BUNDLE) : bundle.code);
    emitFigure({ name: 'miniprogram-bundle-size', impl: 'ours-noble', unit: 'bytes', value: bundle.bytes, params: { minified: true, target: 'es2017' } });

    if (kickOnly) return await clientFigures(bundlePath, dir, quick, true);
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
    emitFigure({ name: 'x25519', impl: IMPL, unit: 'ops/s', value: Number(ops['x25519']), params: {} });

    await clientFigures(bundlePath, dir, quick, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const CLIENT_IMPL = 'ours-noble-jitless-client';
const BACKLOG = 200;
const KICK_GROUP = 100;

/** One jitless child in `client` mode: commands on stdin, JSON events on stdout. */
class ClientChild {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly events: Record<string, unknown>[] = [];
  private waiting: ((e: Record<string, unknown>) => void) | null = null;
  private stderr = '';

  constructor(bundlePath: string, relayUrl: string, userDataDir: string) {
    // MP_BENCH_CPU_PROF=<dir>: write a V8 CPU profile of each client child there (profiling only).
    const prof = process.env.MP_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.MP_BENCH_CPU_PROF}`] : [];
    this.child = spawn(process.execPath, ['--jitless', '--no-warnings', ...prof, '--import', 'tsx', CHILD, 'client', bundlePath, relayUrl, userDataDir], { cwd: ROOT });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      let e: Record<string, unknown>;
      try {
        e = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = null;
        w(e);
      } else this.events.push(e);
    });
  }

  async ask(command: string, timeoutMs = 300_000): Promise<Record<string, unknown>> {
    if (process.env.MP_BENCH_TRACE) process.stderr.write(`  -> ${command.split(' ')[0]}\n`);
    this.child.stdin.write(`${command}\n`);
    const e = this.events.shift() ?? (await new Promise<Record<string, unknown>>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`bench child: no answer to "${command.split(' ')[0]}" (${this.stderr.slice(-500)})`)), timeoutMs);
      this.waiting = (x) => {
        clearTimeout(t);
        resolve(x);
      };
    }));
    if (e.event === 'error') throw new Error(`bench child: ${String(e.message)}`);
    if (e.jitless !== true || e.wasm !== false) throw new Error('bench child did not run without JIT and WebAssembly');
    return e;
  }

  async close(): Promise<void> {
    this.child.stdin.write('exit\n');
    await new Promise<void>((r) => {
      const t = setTimeout(() => {
        this.child.kill();
        r();
      }, 10_000);
      this.child.once('exit', () => {
        clearTimeout(t);
        r();
      });
    });
  }
}

interface NodeMember {
  client: ChatClient;
  messaging: Messaging;
}

async function nodeMember(relayUrl: string, connect: boolean): Promise<NodeMember> {
  const p = primitivesFor('node', nodeRandom);
  const store = createMemoryStore();
  const client = await createChatClient({ platform: nodePlatform(), primitives: p, store, relayUrl, engine: { autoCommitJitterMs: 0 } });
  const messaging = await createMessaging(client.engine, { primitives: p, history: client.history, chatList: client.chatList, store, now: () => Date.now() });
  if (connect) await client.start();
  else {
    await client.relay.sessions.ensure();
    await client.maintainPrekeys();
  }
  return { client, messaging };
}

async function clientFigures(bundlePath: string, dir: string, quick: boolean, kickOnly: boolean): Promise<void> {
  await loadBackends();
  const relay = await startTestRelay();
  const members: NodeMember[] = [];
  const children: ClientChild[] = [];
  try {
    const owner = await nodeMember(relay.httpUrl, true);
    members.push(owner);

    // Cold start and backlog: a fresh install per sample joins, goes offline, relaunches.
    const samples = kickOnly ? 0 : quick ? 1 : 5;
    const cold: number[] = [];
    const backlog: number[] = [];
    for (let i = 0; i < samples; i++) {
      process.stderr.write(`miniprogram: client cold start + ${BACKLOG}-message backlog ${i + 1}/${samples}\n`);
      const child = new ClientChild(bundlePath, relay.httpUrl, mkdtempSync(join(dir, 'usr-')));
      children.push(child);
      const first = await child.ask('start');
      const groupId = await owner.client.createGroup({ name: `backlog-${i}` });
      await owner.client.invite(groupId, String(first.memberId));
      const g = String((await child.ask('wait-group 2')).groupId);
      await child.ask('stop');
      cold.push(Number((await child.ask('start')).ms));
      await child.ask('stop');
      for (let m = 0; m < BACKLOG; m++) await owner.messaging.sendText(groupId, `backlog message ${m}: 明天上午九点在学校门口集合，请准时到达 😀`);
      const r = await child.ask(`backlog ${g} ${BACKLOG}`);
      if (Number(r.messages) < BACKLOG) throw new Error('backlog run ended before every message was shown');
      backlog.push(Number(r.backlogMs));
      await child.close();
    }
    const runs = { runs: samples };
    if (!kickOnly) emitFigure({ name: 'miniprogram-cold-start', impl: CLIENT_IMPL, unit: 'ms', value: median(cold), params: { ...runs, percentile: 'p50', existingInstall: true } });
    if (!kickOnly) emitFigure({ name: 'miniprogram-backlog', impl: CLIENT_IMPL, unit: 'ms', value: median(backlog), params: { ...runs, messages: BACKLOG, percentile: 'p50', includes: 'relaunch + decrypt + store + view model' } });

    // Kick: per sample a fresh install (nothing cached) becomes an admin of a 100-member
    // group and commits a kick (98 signed prekeys fetched, verified, a fresh secret boxed to
    // each). Then one member joins and it kicks again with the prekeys it already holds.
    // Between samples the owner removes that admin and refills the group to 100.
    process.stderr.write(`miniprogram: building a ${KICK_GROUP}-member group\n`);
    const groupId = await owner.client.createGroup({ name: 'kick-bench' });
    const others: string[] = [];
    const addOther = async () => {
      const m = await nodeMember(relay.httpUrl, false);
      members.push(m);
      others.push(m.client.memberIdHex);
      await owner.client.invite(groupId, m.client.memberIdHex);
    };
    for (let i = 0; i < KICK_GROUP - 2; i++) await addOther();
    const kicks = quick ? 1 : 3;
    const fetchedMs: number[] = [];
    const cachedMs: number[] = [];
    let next = 0;
    const kick = async (child: ClientChild, g: string, into: number[], label: string) => {
      const r = await child.ask(`kick ${g} ${others[next++]}`);
      if (r.problem || Number(r.before) !== KICK_GROUP || Number(r.members) !== KICK_GROUP - 1) throw new Error(`kick did not commit (${String(r.problem)})`);
      into.push(Number(r.ms));
      process.stderr.write(`miniprogram: kick (${label}) ${Math.round(Number(r.ms))} ms\n`);
    };
    for (let i = 0; i < kicks; i++) {
      const child = new ClientChild(bundlePath, relay.httpUrl, mkdtempSync(join(dir, 'usr-')));
      children.push(child);
      const admin = String((await child.ask('start')).memberId);
      await owner.client.invite(groupId, admin);
      await owner.client.setRole(groupId, admin, 'admin');
      const g = String((await child.ask(`wait-group ${KICK_GROUP}`)).groupId);
      await kick(child, g, fetchedMs, 'prekeys fetched');
      await addOther();
      await child.ask(`wait-group ${KICK_GROUP}`);
      await kick(child, g, cachedMs, 'prekeys cached');
      await owner.client.kick(groupId, admin);
      await child.close();
      await addOther();
    }
    const kickParams = { members: KICK_GROUP, runs: kicks, percentile: 'p50' };
    emitFigure({ name: 'miniprogram-kick-commit', impl: CLIENT_IMPL, unit: 'ms', value: median(fetchedMs), params: { ...kickParams, prekeys: 'fetched', install: 'fresh' } });
    emitFigure({ name: 'miniprogram-kick-commit', impl: CLIENT_IMPL, unit: 'ms', value: median(cachedMs), params: { ...kickParams, prekeys: 'cached' } });
  } finally {
    await Promise.allSettled(children.map((c) => c.close()));
    await Promise.allSettled(members.map((m) => m.client.close()));
    await relay.cleanup();
  }
}
