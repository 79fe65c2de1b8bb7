// npm run bench:client [-- --quick] [-- --members=N] [-- --messages=M] [-- --fsync] [-- --no-sender-fsync] [-- --relay-synchronous=NORMAL] [-- --receivers-on-disk] [-- --receivers-nice=N] [-- --same-text] [-- --sdk-members=K]  (suite "client-send-latency"):
// end-to-end latency of a group text message, sender's sendText() call -> relay -> every
// online member's SDK has decrypted, verified and stored it (the messaging 'message' event),
// at a steady 50 messages/s on loopback.
//
// Setup: a relay child process (SQLite, synchronous=FULL), the sender (a ChatClient in this
// process, durable store with fsync), and 100 receiving members (--quick: 10) spread over 2
// worker processes (this file, forked), each member a real ChatClient with its own store and
// WebSocket. All join one group by invitation. Receivers' stores skip fsync unless --fsync:
// on a real deployment each member is its own phone with its own disk, and 5,000 fsyncs/s
// on this one disk would measure the disk, not the path. For the same reason their stores are
// on tmpfs when the machine has one (receiverStore below). The worker processes run at a
// lower CPU priority (nice 10; RECEIVERS_NICE below). Then the sender sends M messages
// (1,000; --quick: 100; texts of 4 to 15 words, Chinese with some Latin and emoji, as in
// catch-up) at 50/s, after 2 s of warm-up messages that are not counted
// (WARMUP_SECONDS below; their p99 is printed apart). Each delivery's
// latency is the receiver's wall clock at the event minus the sender's at the call
// (one machine, one clock: performance.timeOrigin + performance.now() in every process).
// Prints:
//   send-latency  ms  p50 and p99 over every (message, member) delivery
//   send-latency-wire    ms  p50 and p99 of the same deliveries at the member's socket (the relay's
//                            MESSAGE frame arriving, before the SDK decrypts): relay fan-out alone
//   send-latency-sendok  ms  p50 and p99 of sendText() itself (encrypt, persist, relay ack)
//   send-latency-warmup  ms  p99 of the warm-up deliveries (not in the figures above)
// Progress goes to stderr; stdout carries only schema lines (docs/BENCH.md).
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { setPriority, tmpdir } from 'node:os';
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytesToHex } from '../../crypto/src/bytes';
import { nodeRandom } from '../../crypto/src/primitives/random';
import { loadDefaultPrimitives } from '../../crypto/src/primitives/select';
import { openNodeDevice, type NodeDevice } from '../../client/cli/node-client';
import { startRelayProcess } from '../../demo/relay-process';
import { emitFigure, percentile } from '../schema';
import { BENCH_RELAY_FLAGS, benchTexts } from './client-catchup';

const HERE = fileURLToPath(import.meta.url);
const ROOT = resolve(dirname(HERE), '../..');
const WORKER_ENV = 'WXE2EE_SEND_LATENCY_WORKER';
const RATE_PER_S = 50;
/**
 * Warm-up, not counted: the first 2 s of messages. In them each worker process compiles
 * the receive path (V8 tiers it up while it runs) and grows its young generation, for 50
 * members at once on a shared core, and the latency of the first ~100 messages measured
 * that: in three runs of session 6, p99 from message 10 on was 119-259 ms, and 54-85 ms
 * from message 100 on (docs/BENCH.md). A phone warms up once, for one member, and stays
 * warm. The warm-up deliveries' p99 is still printed (send-latency-warmup).
 */
const WARMUP_SECONDS = 2;
/**
 * The receivers' worker processes run at nice 10: the relay (a server) and the sender (a
 * phone) have hardware of their own in a deployment, and here they shared two cores with
 * 100 simulated phones that take ~1.3 of them. At the same priority the receivers' bursts
 * delayed the relay's fan-out and the sender's send: in session 6, the first arrival of a
 * message at any member had p99 26-33 ms at nice 10 (four runs) against 38-41 ms at nice 0
 * (two runs). The end-to-end p99 did not move measurably with it: the receivers still
 * compete with each other (50 members share a core per worker, where each would have its
 * own phone). --receivers-nice=0 runs them at the default priority.
 */
const RECEIVERS_NICE = 10;
/**
 * Two worker processes for two cores: with four, each core switched between more event
 * loops than it has and a receiver cost ~20% more CPU per delivery (277 against 230 us in
 * back-to-back runs).
 */
const WORKERS = 2;
/** The one sentence of --same-text (the text of every message before session 8). */
const SAME_TEXT = '延迟测试消息，请勿回复 明天下午三点开会';
const log = (s: string) => process.stderr.write(`[client-send-latency] ${s}\n`);
const wallNow = () => performance.timeOrigin + performance.now();
const MARK = /\[n=(\d+)\]/;

type ToWorker = { op: 'open'; relayUrl: string; dir: string; count: number; fsync: boolean; persistDelayMs?: number } | { op: 'settle'; groupId: string; logLength: number; sdkCount: number } | { op: 'mark' } | { op: 'report' } | { op: 'close' };
type FromWorker =
  | { op: 'opened'; memberIds: string[] }
  | { op: 'joined'; groupId: string }
  | { op: 'progress'; received: number }
  | { op: 'settled' }
  | { op: 'report'; deliveries: [number, number, number][]; wire: [number, number, number][]; cpuMicros: number; gcs: [number, number, number][] }
  | { op: 'error'; message: string };

/**
 * CPU time (user + system, every thread) of another process in microseconds, from Linux's
 * /proc/<pid>/stat (fields 14 and 15, in clock ticks of 10 ms); undefined elsewhere.
 */
function processCpuMicros(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}

// --- worker: hosts some receiving members -------------------------------------------------

/**
 * Triples of numbers in one growing Float64Array. The worker records two per delivery;
 * as small arrays they were ~160 bytes each that the heap kept to the end (about 9 MB per
 * worker in a run, an eighth of what it kept): the measurement grew the very heap whose
 * collections it measures.
 */
class TripleLog {
  private data = new Float64Array(3 * 4096);
  length = 0;
  push(a: number, b: number, c: number): void {
    if (3 * this.length + 3 > this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    const at = 3 * this.length++;
    this.data[at] = a;
    this.data[at + 1] = b;
    this.data[at + 2] = c;
  }
  toArray(): [number, number, number][] {
    const out: [number, number, number][] = [];
    for (let i = 0; i < this.length; i++) out.push([this.data[3 * i]!, this.data[3 * i + 1]!, this.data[3 * i + 2]!]);
    return out;
  }
}

async function worker(): Promise<void> {
  const devices: NodeDevice[] = [];
  /** [message index, arrival, member index in this worker] of every delivery. */
  const deliveries = new TripleLog();
  /** [relay seq, arrival] of every MESSAGE frame. */
  const wire = new TripleLog();
  /** CPU time (user + system) of this process since the parent's 'mark' (the first send). */
  let cpuAtMark = process.cpuUsage();
  const send = (m: FromWorker) => process.send!(m);
  /** Diagnostic, with WXE2EE_BENCH_DUMP: [start (wall clock), duration ms, kind] of every GC pause. */
  const gcs: [number, number, number][] = [];
  if (process.env.WXE2EE_BENCH_DUMP) {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) gcs.push([performance.timeOrigin + e.startTime, e.duration, (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0]);
    }).observe({ entryTypes: ['gc'] });
  }
  process.on('message', (raw) => {
    const m = raw as ToWorker;
    void (async () => {
      if (m.op === 'open') {
        const p = await loadDefaultPrimitives(nodeRandom);
        for (let i = 0; i < m.count; i++) {
          const d = await openNodeDevice({ dataDir: join(m.dir, `m${i}`), relayUrl: m.relayUrl, primitives: p, fsync: m.fsync, ...(m.persistDelayMs ? { engine: { persistDelayMs: m.persistDelayMs } } : {}) });
          devices.push(d);
          d.client.on('status', (s) => {
            if (s.status === 'active') send({ op: 'joined', groupId: bytesToHex(s.groupId) });
          });
          d.client.relay.connection.on('message', (f) => wire.push(f.seq, wallNow(), i));
          d.messaging.on('message', (e) => {
            const at = wallNow();
            const n = MARK.exec(e.message.text);
            if (n && e.message.sender !== d.client.memberIdHex) {
              deliveries.push(Number(n[1]), at, i);
              if (deliveries.length % 500 === 0) send({ op: 'progress', received: deliveries.length });
            }
          });
        }
        send({ op: 'opened', memberIds: devices.map((d) => d.client.memberIdHex) });
      } else if (m.op === 'settle') {
        // Every member has applied the whole log (the later joins' entries too) and persisted it.
        const deadline = Date.now() + 300_000;
        for (const d of devices) {
          while ((d.client.group(m.groupId)?.logLength ?? 0) < m.logLength) {
            if (Date.now() > deadline) throw new Error(`a member did not reach log length ${m.logLength}`);
            await new Promise((r) => setTimeout(r, 50));
          }
          await d.client.idle(m.groupId);
        }
        devices.slice(m.sdkCount).forEach(loadOnly);
        send({ op: 'settled' });
      } else if (m.op === 'mark') {
        cpuAtMark = process.cpuUsage();
        if (process.env.WXE2EE_BENCH_PROFILE_DIR) await profiler.start();
      } else if (m.op === 'report') {
        const cpu = process.cpuUsage(cpuAtMark);
        if (process.env.WXE2EE_BENCH_PROFILE_DIR) await profiler.stopInto(process.env.WXE2EE_BENCH_PROFILE_DIR);
        process.stderr.write(`[worker ${process.pid}] user ${(cpu.user / 1e6).toFixed(2)} s system ${(cpu.system / 1e6).toFixed(2)} s\n`);
        send({ op: 'report', deliveries: deliveries.toArray(), wire: wire.toArray(), cpuMicros: cpu.user + cpu.system, gcs });
      } else if (m.op === 'close') {
        for (const d of devices) await d.close().catch(() => undefined);
        process.exit(0);
      }
    })().catch((e: unknown) => send({ op: 'error', message: e instanceof Error ? e.message : String(e) }));
  });
  process.on('disconnect', () => process.exit(0));
}

/**
 * Diagnostic (--sdk-members=K): turns a joined member into load only. Its socket stays
 * online, so the relay still fans every message out to it, and it ACKs the last seq once a
 * second as the SDK does; but it no longer decrypts, verifies or stores (the engine's
 * message handler is replaced), so it takes almost no CPU. Used to measure the path at K
 * SDK members without 50 simulated phones queueing on each core. Never part of the figure.
 */
function loadOnly(d: NodeDevice): void {
  let last: { groupId: Uint8Array; seq: number } | null = null;
  (d.client.groupEngine as unknown as { onMessage: (m: { groupId: Uint8Array; seq: number }) => Promise<void> }).onMessage = async (m) => {
    last = { groupId: m.groupId, seq: m.seq };
  };
  setInterval(() => {
    if (last) d.client.relay.connection.ack(last.groupId, last.seq);
  }, 1000).unref();
}

/** Diagnostic: a CPU profile of the message phase only (mark -> report), not of the joins. */
const profiler = {
  session: null as Session | null,
  async start(): Promise<void> {
    this.session = new Session();
    this.session.connect();
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.start');
    // WXE2EE_BENCH_HEAP_PROFILE=live samples only what is still alive at the report (what the
    // heap keeps); any other value every allocation of the phase, collected or not.
    const mode = process.env.WXE2EE_BENCH_HEAP_PROFILE;
    if (mode) await this.session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: mode !== 'live', includeObjectsCollectedByMinorGC: mode !== 'live' });
  },
  async stopInto(dir: string, role = 'receivers'): Promise<void> {
    if (!this.session) return;
    const { profile } = await this.session.post('Profiler.stop');
    writeFileSync(join(dir, `${role}-${process.pid}.cpuprofile`), JSON.stringify(profile));
    if (process.env.WXE2EE_BENCH_HEAP_PROFILE) {
      const heap = await this.session.post('HeapProfiler.stopSampling');
      writeFileSync(join(dir, `${role}-${process.pid}.heapprofile`), JSON.stringify(heap.profile));
    }
    this.session.disconnect();
    this.session = null;
  },
};

class WorkerHandle {
  private readonly inbox: FromWorker[] = [];
  private wake: (() => void) | null = null;
  constructor(readonly child: ChildProcess) {
    child.on('message', (m) => {
      this.inbox.push(m as FromWorker);
      this.wake?.();
    });
  }
  send(m: ToWorker): void {
    this.child.send(m);
  }
  /** Next message of kind `op` (skipping others), within `timeoutMs`. */
  async next<K extends FromWorker['op']>(op: K, timeoutMs: number): Promise<Extract<FromWorker, { op: K }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const err = this.inbox.find((m) => m.op === 'error');
      if (err) throw new Error(`worker: ${(err as { message: string }).message}`);
      const i = this.inbox.findIndex((m) => m.op === op);
      if (i >= 0) return this.inbox.splice(i, 1)[0] as Extract<FromWorker, { op: K }>;
      if (Date.now() > deadline) throw new Error(`worker: no ${op} within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 200);
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  }
  count(op: FromWorker['op']): number {
    return this.inbox.filter((m) => m.op === op).length;
  }
}

// --- the run --------------------------------------------------------------------------------

function intFlag(args: string[], name: string, fallback: number): number {
  const a = args.find((x) => x.startsWith(`--${name}=`));
  if (!a) return fallback;
  const n = Number(a.split('=')[1]);
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`--${name} expects a positive integer`);
  return n;
}

export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const members = intFlag(args, 'members', quick ? 10 : 100);
  const fsync = args.includes('--fsync');
  /** Diagnostic only (the figure is at 50/s with the SDK's defaults): --rate=N, --workers=N, --persist-delay-ms=N. */
  const persistDelayMs = args.some((a) => a.startsWith('--persist-delay-ms=')) ? intFlag(args, 'persist-delay-ms', 1) : undefined;
  const rate = intFlag(args, 'rate', RATE_PER_S);
  const warmup = Math.round(WARMUP_SECONDS * rate);
  const messages = intFlag(args, 'messages', quick ? 100 : 1_000) + warmup;
  const niceFlag = args.find((a) => a.startsWith('--receivers-nice='));
  const nice = niceFlag ? Number(niceFlag.split('=')[1]) : RECEIVERS_NICE;
  if (!Number.isInteger(nice) || nice < 0 || nice > 19) throw new RangeError('--receivers-nice expects an integer 0..19');
  /** The nice value the workers got (0 where the OS refused it). */
  let receiversNice = nice;
  const workerCount = intFlag(args, 'workers', WORKERS);
  /** Diagnostic only: --sdk-members=K keeps K members on the SDK and turns the rest into load (loadOnly). */
  const sdkMembers = Math.min(members, intFlag(args, 'sdk-members', members));
  /** Diagnostic only: shows how much of the latency is the sender's fsync before each send. */
  const senderFsync = !args.includes('--no-sender-fsync');
  /**
   * The texts: catch-up's corpus (4 to 15 words of Chinese with some Latin and emoji), one
   * per message. Diagnostic --same-text sends one sentence every time, as before session 8:
   * then every word's posting list in every member's history grew in step, so all 50
   * members of a worker reallocated the same ~25 arrays on the same message (at messages
   * ~155, 240, 375, 575 and 880, each 1.5 times the last), and both workers stalled there
   * in long scavenges in every run (docs/BENCH.md, session 8).
   */
  const sameText = args.includes('--same-text');
  const texts = sameText ? Array.from({ length: messages }, () => SAME_TEXT) : benchTexts(messages);
  const dir = mkdtempSync(join(tmpdir(), 'wxe2ee-bench-latency-'));
  const receivers = args.includes('--receivers-on-disk') ? { dir, store: 'disk' } : receiverStore();
  const removeDirs = () => {
    for (const d of new Set([dir, receivers.dir])) rmSync(d, { recursive: true, force: true });
  };
  /** Diagnostic only: --relay-synchronous=NORMAL shows how much is the relay's durable commit. */
  const relaySync = args.find((a) => a.startsWith('--relay-synchronous='))?.split('=')[1] ?? 'FULL';
  const relay = await startRelayProcess(ROOT, join(dir, 'relay'), 60_000, [...BENCH_RELAY_FLAGS, '--synchronous', relaySync]).catch((e: unknown) => {
    removeDirs();
    throw e;
  });
  const workers: WorkerHandle[] = [];
  let sender: NodeDevice | undefined;
  try {
    const p = await loadDefaultPrimitives(nodeRandom);
    sender = await openNodeDevice({ dataDir: join(dir, 'sender'), relayUrl: relay.httpUrl, primitives: p, fsync: senderFsync });
    const groupId = bytesToHex(await sender.client.createGroup({ name: 'latency bench' }));
    sender.client.on('connection', (c) => log(`sender connection: ${c.state}`));
    sender.client.on('error', (e) => log(`sender error in ${e.operation}: ${(e.error as Error)?.message ?? String(e.error)}`));
    sender.client.on('alarm', (a) => log(`sender alarm: ${a.kind} ${a.code}`));

    const per = Math.ceil(members / workerCount);
    for (let w = 0; w < workerCount && w * per < members; w++) {
      // Diagnostic: WXE2EE_BENCH_PROFILE_DIR=<dir> writes a CPU profile of every worker's message phase there.
      const child = fork(HERE, [], { cwd: ROOT, execArgv: ['--import', 'tsx', ...(process.env.WXE2EE_BENCH_WORKER_FLAGS ?? '').split(' ').filter(Boolean)], env: { ...process.env, [WORKER_ENV]: '1' }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      if (nice > 0 && child.pid !== undefined) {
        try {
          setPriority(child.pid, nice);
        } catch (e) {
          receiversNice = 0;
          log(`could not lower the receivers' priority (${(e as Error).message}); they run at the default`);
        }
      }
      const h = new WorkerHandle(child);
      h.send({ op: 'open', relayUrl: relay.httpUrl, dir: join(receivers.dir, `w${w}`), count: Math.min(per, members - w * per), fsync, ...(persistDelayMs ? { persistDelayMs } : {}) });
      workers.push(h);
    }
    const ids = (await Promise.all(workers.map((h) => h.next('opened', 300_000)))).flatMap((o) => o.memberIds);
    log(`${ids.length} members online in ${workers.length} worker processes; inviting`);
    const i0 = performance.now();
    for (const id of ids) await sender.client.invite(groupId, id);
    const deadline = Date.now() + 300_000;
    while (workers.reduce((n, h) => n + h.count('joined'), 0) < ids.length) {
      if (Date.now() > deadline) throw new Error('members did not all join');
      await new Promise((r) => setTimeout(r, 100));
    }
    await sender.client.idle(groupId);
    const logLength = sender.client.group(groupId)?.logLength ?? 0;
    const perWorkerSdk = Math.ceil(sdkMembers / workers.length);
    workers.forEach((h, w) => h.send({ op: 'settle', groupId, logLength, sdkCount: Math.max(0, Math.min(perWorkerSdk, sdkMembers - w * perWorkerSdk)) }));
    await Promise.all(workers.map((h) => h.next('settled', 300_000)));
    log(`all joined and settled at log length ${logLength} in ${(performance.now() - i0).toFixed(0)} ms; sending ${messages} messages at ${rate}/s`);

    // Steady rate: message i is sent at t0 + i * 20 ms (late sends go at once, never in bursts to catch up more than the schedule).
    const sentAt: number[] = [];
    const sendMs: number[] = [];
    /** Relay sequence number -> message index (from SEND_OK). */
    const indexOfSeq = new Map<number, number>();
    const inflight: Promise<void>[] = [];
    workers.forEach((h) => h.send({ op: 'mark' }));
    const relayCpuAtMark = processCpuMicros(relay.pid);
    const senderCpuAtMark = process.cpuUsage();
    if (process.env.WXE2EE_BENCH_PROFILE_DIR) await profiler.start();
    const t0 = performance.now();
    for (let i = 0; i < messages; i++) {
      const due = t0 + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      sentAt[i] = wallNow();
      const s = performance.now();
      inflight.push(
        sender.messaging.sendText(groupId, `${texts[i]} [n=${i}]`).then((r) => {
          sendMs.push(performance.now() - s);
          indexOfSeq.set(r.seq, i);
        }),
      );
    }
    // Bounded: a send that never settles is reported, not waited for forever.
    const settled = await Promise.race([Promise.allSettled(inflight).then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 120_000))]);
    if (!settled) throw new Error(`${messages - sendMs.length} of ${messages} sends did not settle within 120 s`);
    if (sendMs.length < messages) throw new Error(`${messages - sendMs.length} of ${messages} sends failed`);
    const expected = Math.min(sdkMembers, ids.length) * messages;
    const waitUntil = Date.now() + 60_000;
    let got = 0;
    for (;;) {
      workers.forEach((h) => h.send({ op: 'report' }));
      const reports = await Promise.all(workers.map((h) => h.next('report', 60_000)));
      got = reports.reduce((n, r) => n + r.deliveries.length, 0);
      if (got >= expected || Date.now() > waitUntil) {
        const latencies: number[] = [];
        const warmupLatencies: number[] = [];
        for (const r of reports) for (const [n, at] of r.deliveries) (n >= warmup ? latencies : warmupLatencies).push(at - sentAt[n]!);
        const wireLatencies: number[] = [];
        for (const r of reports) {
          for (const [seq, at] of r.wire) {
            const n = indexOfSeq.get(seq);
            if (n !== undefined && n >= warmup) wireLatencies.push(at - sentAt[n]!);
          }
        }
        const params = { members: ids.length, messages: messages - warmup, warmupMessages: warmup, receiversNice, ratePerSecond: rate, workers: workers.length, receiverStore: receivers.store, receiverFsync: fsync, senderFsync, relaySynchronous: relaySync, texts: sameText ? 'same' : 'varied', backend: p.backend, transport: 'loopback', delivered: got, expected, ...(sdkMembers < ids.length ? { sdkMembers } : {}) };
        // Diagnostic: WXE2EE_BENCH_DUMP=<file> writes every send and delivery time (JSON) to see when the tail happens.
        if (process.env.WXE2EE_BENCH_DUMP) {
          const dump = { sentAt, sendMs, warmup, workers: reports.map((r) => ({ gcs: r.gcs, deliveries: r.deliveries, wire: r.wire.map(([seq, at, member]) => [indexOfSeq.get(seq) ?? -1, at, member]) })) };
          writeFileSync(process.env.WXE2EE_BENCH_DUMP, JSON.stringify(dump));
        }
        log(`${got}/${expected} deliveries in ${(performance.now() - t0).toFixed(0)} ms`);
        if (got < expected) log(`WARNING: ${expected - got} deliveries missing after 60 s`);
        emitFigure({ name: 'send-latency', impl: 'ours-node', unit: 'ms', value: percentile(latencies, 0.5), params: { ...params, percentile: 'p50' } });
        emitFigure({ name: 'send-latency', impl: 'ours-node', unit: 'ms', value: percentile(latencies, 0.99), params: { ...params, percentile: 'p99' } });
        if (wireLatencies.length) {
          emitFigure({ name: 'send-latency-wire', impl: 'ours-node', unit: 'ms', value: percentile(wireLatencies, 0.5), params: { ...params, percentile: 'p50' } });
          emitFigure({ name: 'send-latency-wire', impl: 'ours-node', unit: 'ms', value: percentile(wireLatencies, 0.99), params: { ...params, percentile: 'p99' } });
        }
        // Diagnostic: receivers' CPU per delivery (all workers' CPU since the first send / deliveries).
        const cpuMicros = reports.reduce((n, r) => n + r.cpuMicros, 0);
        emitFigure({ name: 'send-latency-receiver-cpu', impl: 'ours-node', unit: 'us', value: Math.round(cpuMicros / Math.max(1, got)), params: { ...params, per: 'delivery' } });
        // Diagnostics: where the rest of the two cores went, per message sent (the relay's
        // durable commit and fan-out; the sender's encryption, fsync and this loop).
        const relayCpu = processCpuMicros(relay.pid);
        if (relayCpu !== undefined && relayCpuAtMark !== undefined) {
          emitFigure({ name: 'send-latency-relay-cpu', impl: 'ours-node', unit: 'us', value: Math.round((relayCpu - relayCpuAtMark) / messages), params: { ...params, per: 'message' } });
        }
        const senderCpu = process.cpuUsage(senderCpuAtMark);
        if (process.env.WXE2EE_BENCH_PROFILE_DIR) await profiler.stopInto(process.env.WXE2EE_BENCH_PROFILE_DIR, 'sender');
        emitFigure({ name: 'send-latency-sender-cpu', impl: 'ours-node', unit: 'us', value: Math.round((senderCpu.user + senderCpu.system) / messages), params: { ...params, per: 'message' } });
        const counted = sendMs.slice(warmup);
        emitFigure({ name: 'send-latency-sendok', impl: 'ours-node', unit: 'ms', value: percentile(counted, 0.5), params: { ...params, percentile: 'p50' } });
        emitFigure({ name: 'send-latency-sendok', impl: 'ours-node', unit: 'ms', value: percentile(counted, 0.99), params: { ...params, percentile: 'p99' } });
        if (warmupLatencies.length) emitFigure({ name: 'send-latency-warmup', impl: 'ours-node', unit: 'ms', value: percentile(warmupLatencies, 0.99), params: { ...params, percentile: 'p99' } });
        break;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    for (const h of workers) {
      try {
        h.send({ op: 'close' });
      } catch {
        /* already gone */
      }
    }
    await Promise.all(workers.map((h) => new Promise<void>((r) => (h.child.exitCode !== null ? r() : h.child.once('exit', () => r())))).map((pr) => Promise.race([pr, new Promise((r) => setTimeout(r, 15_000))])));
    for (const h of workers) if (h.child.exitCode === null) h.child.kill('SIGKILL');
    await sender?.close().catch(() => undefined);
    await relay.stop();
    removeDirs();
  }
}

/**
 * Where the receivers keep their stores: a fresh folder on tmpfs (/dev/shm) when there is
 * one. Each receiver stands for a phone with its own storage. On one ext4 disk (data=ordered)
 * their 5,000 history appends a second share a journal with the sender's and the relay's
 * fsyncs, and each of those fsyncs then waits for the receivers' dirty data: a stall between
 * devices that cannot happen on real phones. The sender and the relay stay on disk, with
 * fsync. --receivers-on-disk puts the receivers on disk too.
 */
function receiverStore(): { dir: string; store: 'tmpfs' | 'disk' } {
  try {
    return { dir: mkdtempSync(join('/dev/shm', 'wxe2ee-bench-receivers-')), store: 'tmpfs' };
  } catch {
    return { dir: mkdtempSync(join(tmpdir(), 'wxe2ee-bench-receivers-')), store: 'disk' };
  }
}

if (process.env[WORKER_ENV] === '1') await worker();
else if (import.meta.url === `file://${process.argv[1]}`) await run(process.argv.slice(2));
