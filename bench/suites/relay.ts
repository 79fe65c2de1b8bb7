// npm run bench:relay [-- --quick] [-- --only=fanout,latency,ingest,idle-conn,kick-propagation] [-- --idle-connections=N] [-- --kick-members=N]
// npm run bench:relay -- --instances N[,N...] [--quick]: the PostgreSQL + Redis scale-out figures only (bench/relay/scaleout.ts)
//
// The relay (a child process on 127.0.0.1, temp data directory) against a bare `ws` server
// speaking the same frames (bench/relay/bare-ws-server.ts), driven by the same load
// generator in a separate process (bench/relay/loadgen.ts). Figures in the schema of
// docs/BENCH.md. Every scenario is bounded in count and time; --quick is a smoke run.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytesToHex } from '../../crypto/src/bytes';
import { nodeRandom } from '../../crypto/src/primitives/random';
import { loadDefaultPrimitives } from '../../crypto/src/primitives/select';
import type { Primitives } from '../../crypto/src/primitives/types';
import { encodeLogAppendRequest } from '../../crypto/src/wire/http-bodies';
import { append, login } from '../../relay/test/helpers/client';
import { buildAdd, buildCreate, buildRemove, makeDevice, senderIndexOf, type Device } from '../../relay/test/helpers/log';
import type { LoadGroup, LoadSpec } from '../relay/loadgen';
import { parseInstances, runLoadgen, runScaleout } from '../relay/scaleout';
import { emitFigure, emitRatio, median } from '../schema';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const log = (s: string) => process.stderr.write(`[bench:relay] ${s}\n`);

interface Server {
  child: ChildProcess;
  pid: number;
  wsUrl: string;
  httpUrl: string;
  dir?: string;
  stop(): Promise<void>;
}

function spawnTsx(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

function waitLine(child: ChildProcess, re: RegExp, what: string): Promise<RegExpExecArray> {
  let out = '';
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`${what} did not start: ${out}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = re.exec(out);
      if (m) {
        clearTimeout(t);
        res(m);
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => rej(new Error(`${what} exited ${code}: ${out}`)));
  });
}

function stopper(child: ChildProcess, dir?: string): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(t);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
}

async function startOurs(synchronous: 'FULL' | 'NORMAL' = 'FULL'): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-relay-'));
  const child = spawnTsx([
    'relay/src/main.ts',
    ...['--port', '0', '--data-dir', dir, '--synchronous', synchronous],
    ...['--send-rate', '1000000', '--ip-rate', '10000000', '--max-connections', '30000', '--log-level', 'info'],
  ]);
  const m = await waitLine(child, /listening on (http:\/\/[\d.:]+) \(WebSocket (ws:\/\/\S+)\)/, 'relay');
  return { child, pid: child.pid!, httpUrl: m[1]!, wsUrl: m[2]!, dir, stop: stopper(child, dir) };
}

async function startBare(): Promise<Server> {
  const child = spawnTsx(['bench/relay/bare-ws-server.ts']);
  const m = await waitLine(child, /listening on (ws:\/\/\S+)/, 'bare-ws');
  return { child, pid: child.pid!, wsUrl: m[1]!, httpUrl: '', stop: stopper(child) };
}

/** Real groups on our relay: devices log in, the first creates the group and adds the rest. */
async function ourGroups(p: Primitives, server: Server, groups: number, members: number) {
  const out: (LoadGroup & { devices: Device[]; tokensRaw: Uint8Array[]; state: ReturnType<typeof buildCreate>['state'] })[] = [];
  for (let g = 0; g < groups; g++) {
    const devices = Array.from({ length: members }, () => makeDevice(p));
    const tokensRaw: Uint8Array[] = [];
    for (let i = 0; i < devices.length; i += 50) {
      tokensRaw.push(...(await Promise.all(devices.slice(i, i + 50).map((d) => login(server.httpUrl, p, d).then((r) => r.token)))));
    }
    const c = buildCreate(p, devices[0]!);
    const r1 = await append(server.httpUrl, tokensRaw[0]!, null, new Uint8Array(32), c.entry, []);
    if (r1.status !== 201) throw new Error(`create failed ${r1.status}`);
    let state = c.state;
    let logLength = 1;
    if (members > 1) {
      const add = buildAdd(p, devices[0]!, state, devices.slice(1));
      const r2 = await append(server.httpUrl, tokensRaw[0]!, state.groupId, state.headHash, add.entry, add.envelopes);
      if (r2.status !== 200) throw new Error(`add failed ${r2.status}`);
      state = add.state;
      logLength = 2;
    }
    out.push({ groupId: bytesToHex(state.groupId), epoch: state.epoch, logLength, senderIndex: senderIndexOf(state, devices[0]!.memberId), tokens: tokensRaw.map(bytesToHex), devices, tokensRaw, state });
  }
  return out;
}

function bareGroups(p: Primitives, groups: number, members: number): LoadGroup[] {
  return Array.from({ length: groups }, () => ({
    groupId: bytesToHex(p.randomBytes(16)),
    epoch: 0,
    logLength: 0,
    senderIndex: 0,
    tokens: Array.from({ length: members }, () => bytesToHex(p.randomBytes(32))),
  }));
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error('no VmRSS');
  return Number(m[1]) * 1024;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const onlyArg = args.find((a) => a.startsWith('--only='));
  const only = onlyArg ? new Set(onlyArg.slice(7).split(',')) : null;
  const want = (name: string) => !only || only.has(name);
  const rounds = quick ? 1 : 3;
  const p = await loadDefaultPrimitives(nodeRandom);
  const bytes = 256;
  const instancesAt = args.findIndex((a) => a === '--instances' || a.startsWith('--instances='));
  if (instancesAt >= 0) {
    const a = args[instancesAt]!;
    await runScaleout(p, parseInstances(a.includes('=') ? a.slice(a.indexOf('=') + 1) : (args[instancesAt + 1] ?? '')), quick);
    return;
  }

  if (want('fanout')) {
    const groups = quick ? 2 : 4;
    const members = quick ? 10 : 25;
    const durationMs = quick ? 1500 : 5000;
    const params = { groups, members, bytes, mode: quick ? 'quick' : 'full' };
    const results: Record<string, number[]> = { 'bare-ws': [], ours: [] };
    for (let r = 0; r < rounds; r++) {
      for (const impl of ['bare-ws', 'ours'] as const) {
        const server = impl === 'ours' ? await startOurs('FULL') : await startBare();
        try {
          const g = impl === 'ours' ? await ourGroups(p, server, groups, members) : bareGroups(p, groups, members);
          const res = await runLoadgen({ mode: 'fanout', wsUrl: server.wsUrl, groups: g.map(strip), durationMs, window: 256, paddedBytes: bytes });
          results[impl]!.push(res.deliveriesPerSec!);
          log(`fanout ${impl} round ${r}: ${Math.round(res.deliveriesPerSec!)} deliveries/s`);
        } finally {
          await server.stop();
        }
      }
    }
    const bare = emitFigure({ name: 'fanout', impl: 'bare-ws', unit: 'deliveries/s', value: median(results['bare-ws']!), params });
    const ours = emitFigure({ name: 'fanout', impl: 'ours', unit: 'deliveries/s', value: median(results.ours!), params });
    emitRatio('fanout/ours', 'fanout/bare-ws', ours.value / bare.value, params);
  }

  if (want('latency')) {
    const cases = quick
      ? [{ groupSize: 10, deliveries: 5_000, groups: 5 }]
      : [
          { groupSize: 10, deliveries: 50_000, groups: 20 },
          { groupSize: 500, deliveries: 50_000, groups: 1 },
        ];
    for (const c of cases) {
      const rate = Math.round(c.deliveries / (c.groupSize - 1));
      const p50s: number[] = [];
      const p99s: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const server = await startOurs('FULL');
        try {
          const g = await ourGroups(p, server, c.groups, c.groupSize);
          const res = await runLoadgen({ mode: 'latency', wsUrl: server.wsUrl, groups: g.map(strip), durationMs: quick ? 1500 : 5000, rate, paddedBytes: bytes });
          p50s.push(res.p50!);
          p99s.push(res.p99!);
          log(`latency group ${c.groupSize} at ${c.deliveries}/s: p50 ${res.p50!.toFixed(2)} ms, p99 ${res.p99!.toFixed(2)} ms, ${res.samples} samples`);
        } finally {
          await server.stop();
        }
      }
      const params = { rate: c.deliveries, groupSize: c.groupSize, bytes };
      emitFigure({ name: 'latency', impl: 'ours', unit: 'ms', value: median(p50s), params: { ...params, percentile: 'p50' } });
      emitFigure({ name: 'latency', impl: 'ours', unit: 'ms', value: median(p99s), params: { ...params, percentile: 'p99' } });
    }
  }

  if (want('ingest')) {
    const senders = quick ? 4 : 16;
    for (const synchronous of ['FULL', 'NORMAL'] as const) {
      const rates: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const server = await startOurs(synchronous);
        try {
          const g = await ourGroups(p, server, senders, 1);
          const res = await runLoadgen({ mode: 'ingest', wsUrl: server.wsUrl, groups: g.map(strip), durationMs: quick ? 1500 : 5000, window: 512, paddedBytes: bytes });
          rates.push(res.acksPerSec!);
          log(`ingest synchronous=${synchronous}: ${Math.round(res.acksPerSec!)} msgs/s acked after commit`);
        } finally {
          await server.stop();
        }
      }
      emitFigure({ name: 'ingest', impl: 'ours', unit: 'msgs/s', value: median(rates), params: { synchronous, senders, bytes } });
    }
  }

  if (want('idle-conn')) {
    const override = args.find((a) => a.startsWith('--idle-connections='));
    const connections = override ? Math.min(15_000, Number(override.slice(19))) : quick ? 1000 : 10_000;
    const perConn: Record<string, number> = {};
    for (const impl of ['bare-ws', 'ours'] as const) {
      const server = impl === 'ours' ? await startOurs('NORMAL') : await startBare();
      try {
        const g = impl === 'ours' ? await ourGroups(p, server, 1, 1) : bareGroups(p, 1, 1);
        await sleep(1000);
        const before = rssBytes(server.pid);
        const dir = mkdtempSync(join(tmpdir(), 'bench-idle-'));
        const file = join(dir, 'spec.json');
        const spec: LoadSpec = { mode: 'idle', wsUrl: server.wsUrl, groups: g.map(strip), durationMs: 120_000, connections };
        writeFileSync(file, JSON.stringify(spec));
        const child = spawnTsx(['bench/relay/loadgen.ts', file]);
        await waitLine(child, /"opened":\d+/, 'idle loadgen');
        await sleep(2000);
        const after = rssBytes(server.pid);
        child.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
        perConn[impl] = (after - before) / connections;
        log(`idle-conn ${impl}: ${Math.round(perConn[impl]!)} bytes per connection (${connections} connections)`);
      } finally {
        await server.stop();
      }
    }
    const params = { connections };
    const bare = emitFigure({ name: 'idle-conn', impl: 'bare-ws', unit: 'bytes', value: perConn['bare-ws']!, params });
    const ours = emitFigure({ name: 'idle-conn', impl: 'ours', unit: 'bytes', value: perConn.ours!, params });
    emitRatio('idle-conn/ours', 'idle-conn/bare-ws', ours.value / bare.value, params);
  }

  if (want('kick-propagation')) {
    const kickArg = args.find((a) => a.startsWith('--kick-members='));
    const members = kickArg ? Math.max(3, Math.min(500, Number(kickArg.slice(15)))) : quick ? 50 : 500;
    const p99s: number[] = [];
    const lasts: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const server = await startOurs('FULL');
      try {
        const [g] = await ourGroups(p, server, 1, members);
        const victim = g!.devices[members - 1]!;
        const kick = buildRemove(p, g!.devices[0]!, g!.state, [victim]);
        const body = encodeLogAppendRequest({ expectedHead: g!.state.headHash, entry: kick.entry, envelopes: kick.envelopes });
        const res = await runLoadgen({
          mode: 'kick',
          wsUrl: server.wsUrl,
          httpUrl: server.httpUrl,
          groups: [strip(g!)],
          durationMs: 20_000,
          kick: { token: g!.tokens[0]!, groupId: g!.groupId, body: bytesToHex(body), kicked: g!.tokens[members - 1]! },
        });
        if (res.status !== 200 || res.received !== res.expected) throw new Error(`kick: status ${res.status}, ${res.received}/${res.expected} received`);
        p99s.push(res.p99!);
        lasts.push(res.max!);
        log(`kick-propagation ${members}: p50 ${res.p50!.toFixed(1)} ms, p99 ${res.p99!.toFixed(1)} ms, last ${res.max!.toFixed(1)} ms`);
      } finally {
        await server.stop();
      }
    }
    emitFigure({ name: 'kick-propagation', impl: 'ours', unit: 'ms', value: median(p99s), params: { members, remaining: members - 1, percentile: 'p99' } });
    emitFigure({ name: 'kick-propagation', impl: 'ours', unit: 'ms', value: median(lasts), params: { members, remaining: members - 1, percentile: 'max' } });
  }
}

function strip(g: LoadGroup): LoadGroup {
  return { groupId: g.groupId, epoch: g.epoch, logLength: g.logLength, senderIndex: g.senderIndex, tokens: g.tokens };
}
