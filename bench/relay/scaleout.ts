// npm run bench:relay -- --instances N[,N...] [--quick]
//
// The relay on PostgreSQL + Redis as N instances (separate processes on 127.0.0.1, one fresh
// schema, one Redis channel), members of every group spread over the instances round-robin
// (so nearly every delivery crosses Redis), next to the SQLite relay as a single instance
// under the same load generator (bench/relay/loadgen.ts). Figures:
//   scaleout-fanout   deliveries/s with a window of sends in flight per sender (throughput)
//   scaleout-latency  p50/p99 send-to-delivery at a fixed offered rate
// PostgreSQL and Redis: RELAY_TEST_DATABASE_URL / RELAY_TEST_REDIS_URL (defaults as in the
// relay tests, relay/test/helpers/stores.ts). Every run is bounded in time.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytesToHex } from '../../crypto/src/bytes';
import type { Primitives } from '../../crypto/src/primitives/types';
import { append, login } from '../../relay/test/helpers/client';
import { buildAdd, buildCreate, makeDevice, senderIndexOf } from '../../relay/test/helpers/log';
import { freshChannel, freshSchema, TEST_REDIS_URL, unavailable } from '../../relay/test/helpers/stores';
import { emitFigure, emitRatio, median } from '../schema';
import type { LoadGroup, LoadSpec } from './loadgen';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const log = (s: string) => process.stderr.write(`[bench:relay scale-out] ${s}\n`);

interface Instance {
  child: ChildProcess;
  httpUrl: string;
  wsUrl: string;
}

function startInstance(env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'relay/src/main.ts'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`relay did not start: ${out}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/[\d.:]+) \(WebSocket (ws:\/\/\S+)\)/.exec(out);
      if (m) {
        clearTimeout(t);
        res({ child, httpUrl: m[1]!, wsUrl: m[2]! });
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => rej(new Error(`relay exited ${code}: ${out}`)));
  });
}

async function stop(i: Instance): Promise<void> {
  if (i.child.exitCode !== null || i.child.signalCode !== null) return;
  const done = new Promise((r) => i.child.once('exit', r));
  i.child.kill('SIGTERM');
  const t = setTimeout(() => i.child.kill('SIGKILL'), 5000);
  await done;
  clearTimeout(t);
}

const COMMON_ENV = {
  RELAY_PORT: '0',
  RELAY_HOST: '127.0.0.1',
  RELAY_SEND_RATE: '1000000',
  RELAY_IP_RATE: '10000000',
  RELAY_MAX_CONNECTIONS: '30000',
  RELAY_LOG_LEVEL: 'info',
};

/** Starts `n` instances on a fresh schema (n = 0: the SQLite relay, one instance). */
async function startDeployment(n: number): Promise<{ instances: Instance[]; stop(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-scaleout-'));
  if (n === 0) {
    const i = await startInstance({ ...COMMON_ENV, RELAY_DATA_DIR: dataDir, RELAY_SYNCHRONOUS: 'FULL' });
    return {
      instances: [i],
      async stop() {
        await stop(i);
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const schema = await freshSchema();
  const env = {
    ...COMMON_ENV,
    RELAY_DATA_DIR: dataDir,
    RELAY_STORE: 'postgres',
    RELAY_DATABASE_URL: schema.url,
    RELAY_PG_POOL_SIZE: '8',
    RELAY_REDIS_URL: TEST_REDIS_URL,
    RELAY_REDIS_CHANNEL: freshChannel(),
  };
  const instances: Instance[] = [];
  const stopAll = async () => {
    await Promise.all(instances.map(stop));
    await schema.drop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    instances.push(await startInstance(env));
    instances.push(...(await Promise.all(Array.from({ length: n - 1 }, () => startInstance(env)))));
  } catch (e) {
    await stopAll();
    throw e;
  }
  return { instances, stop: stopAll };
}

/** Groups whose member i of group g logs in and connects to instance (i + g) mod N. */
async function spreadGroups(p: Primitives, instances: Instance[], groups: number, members: number): Promise<LoadGroup[]> {
  const out: LoadGroup[] = [];
  for (let g = 0; g < groups; g++) {
    const at = (i: number) => instances[(i + g) % instances.length]!;
    const devices = Array.from({ length: members }, () => makeDevice(p));
    const tokens = await Promise.all(devices.map((d, i) => login(at(i).httpUrl, p, d).then((r) => r.token)));
    const c = buildCreate(p, devices[0]!);
    const r1 = await append(at(0).httpUrl, tokens[0]!, null, new Uint8Array(32), c.entry, []);
    if (r1.status !== 201) throw new Error(`create failed ${r1.status}`);
    const add = buildAdd(p, devices[0]!, c.state, devices.slice(1));
    const r2 = await append(at(0).httpUrl, tokens[0]!, c.state.groupId, c.state.headHash, add.entry, add.envelopes);
    if (r2.status !== 200) throw new Error(`add failed ${r2.status}`);
    out.push({
      groupId: bytesToHex(add.state.groupId),
      epoch: add.state.epoch,
      logLength: 2,
      senderIndex: senderIndexOf(add.state, devices[0]!.memberId),
      tokens: tokens.map(bytesToHex),
      wsUrls: devices.map((_, i) => at(i).wsUrl),
    });
  }
  return out;
}

/** Runs bench/relay/loadgen.ts on `spec` in its own process and returns its one JSON result line. */
export async function runLoadgen(spec: LoadSpec): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-load-'));
  const file = join(dir, 'spec.json');
  writeFileSync(file, JSON.stringify(spec));
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/relay/loadgen.ts', file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    const line = out.trim().split('\n').pop() ?? '';
    if (code !== 0 || !line.startsWith('{')) throw new Error(`loadgen ${spec.mode} failed (${code}): ${err.slice(-2000)}`);
    return JSON.parse(line) as Record<string, number>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Parses "3" or "1,2,3" (each 1..8). */
export function parseInstances(raw: string): number[] {
  const list = raw.split(',').map((x) => Number(x.trim()));
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1 || n > 8)) throw new RangeError(`--instances expects 1..8 or a list like 1,2,3, got "${raw}"`);
  return [...new Set(list)];
}

export async function runScaleout(p: Primitives, counts: number[], quick: boolean): Promise<void> {
  if (unavailable.postgres || unavailable.redis) throw new Error(`--instances needs PostgreSQL and Redis: ${unavailable.postgres ?? unavailable.redis}`);
  const rounds = quick ? 1 : 3;
  const bytes = 256;
  const fan = { groups: quick ? 2 : 4, members: quick ? 10 : 25, durationMs: quick ? 1500 : 5000, window: 256 };
  const lat = { groups: quick ? 5 : 20, members: 10, rate: quick ? 2_000 : 10_000, durationMs: quick ? 1500 : 5000 };
  let baseline = 0;
  // 0 = the SQLite relay, one instance (the baseline).
  for (const n of [0, ...counts]) {
    const impl = n === 0 ? 'sqlite' : 'postgres-redis';
    const instances = Math.max(1, n);
    const fanout: number[] = [];
    const p50: number[] = [];
    const p99: number[] = [];
    for (let r = 0; r < rounds; r++) {
      let d = await startDeployment(n);
      try {
        const groups = await spreadGroups(p, d.instances, fan.groups, fan.members);
        const res = await runLoadgen({ mode: 'fanout', wsUrl: d.instances[0]!.wsUrl, groups, durationMs: fan.durationMs, window: fan.window, paddedBytes: bytes });
        fanout.push(res.deliveriesPerSec!);
        log(`${impl} x${instances} fanout round ${r}: ${Math.round(res.deliveriesPerSec!)} deliveries/s`);
      } finally {
        await d.stop();
      }
      d = await startDeployment(n);
      try {
        const groups = await spreadGroups(p, d.instances, lat.groups, lat.members);
        const rate = Math.round(lat.rate / (lat.members - 1));
        const res = await runLoadgen({ mode: 'latency', wsUrl: d.instances[0]!.wsUrl, groups, durationMs: lat.durationMs, rate, paddedBytes: bytes });
        p50.push(res.p50!);
        p99.push(res.p99!);
        log(`${impl} x${instances} latency round ${r}: p50 ${res.p50!.toFixed(2)} ms, p99 ${res.p99!.toFixed(2)} ms (${res.samples} samples)`);
      } finally {
        await d.stop();
      }
    }
    const fp = { instances, groups: fan.groups, members: fan.members, bytes, window: fan.window, mode: quick ? 'quick' : 'full' };
    const f = emitFigure({ name: 'scaleout-fanout', impl, unit: 'deliveries/s', value: median(fanout), params: fp });
    const lp = { instances, rate: lat.rate, groupSize: lat.members, groups: lat.groups, bytes, mode: quick ? 'quick' : 'full' };
    emitFigure({ name: 'scaleout-latency', impl, unit: 'ms', value: median(p50), params: { ...lp, percentile: 'p50' } });
    emitFigure({ name: 'scaleout-latency', impl, unit: 'ms', value: median(p99), params: { ...lp, percentile: 'p99' } });
    if (n === 0) baseline = f.value;
    else if (baseline) emitRatio('scaleout-fanout/postgres-redis', 'scaleout-fanout/sqlite', f.value / baseline, { instances });
  }
}
