// npm run soak -- --minutes N [--connections 2000] [--rate 10] [--rss-growth-mb 96]
//
// Endurance run of the relay (docs/ADVERSARIAL.md "Soak"): a relay child process on
// 127.0.0.1 with a temp data directory, and >= 2,000 WebSocket connections from this
// process, one device per connection, in real groups of 50-500 members built through the
// membership log (createGroup + commitAdd; every joiner joins from its welcome as the
// relay delivers it). A few members of each group talk, with real group messages
// (encryptGroupMessage); everyone receives. Sends are paced to a bounded total rate.
//
// It reports deliveries, p50/p99 delivery latency, errors and the relay's RSS over time
// (/proc/<pid>/status) as figure lines of docs/BENCH.md on stdout, progress on stderr, and
// exits non-zero when
//   - any acknowledged message is lost or delivered twice to any recipient (per-recipient
//     relay sequence numbers: strictly increasing, every one acknowledged, none missing),
//   - a decrypting member fails to open or verify a message, or gets other plaintext,
//   - the relay's RSS grows by more than the bound between the first and the last fifth of
//     the load phase (median of each; default 96 MiB),
//   - a send is refused or the relay dies.
// Every loop is bounded in count and time.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { bytesToHex, equalBytes, utf8DecodeStrict, utf8Encode } from '../crypto/src/bytes';
import { generateIdentity, type DeviceIdentity } from '../crypto/src/identity/identity';
import { createPrekeyStore, prekeyBundleOf, type PrekeyStore } from '../crypto/src/identity/prekeys';
import { commitAdd, createGroup } from '../crypto/src/log/commit';
import { epochView, type GroupMemberState } from '../crypto/src/log/member-state';
import { joinFromWelcome } from '../crypto/src/log/private-fold';
import { decryptGroupMessage, encryptGroupMessage, startEpoch, type ReceiverState, type SenderState } from '../crypto/src/message';
import { nodeRandom } from '../crypto/src/primitives/random';
import { loadDefaultPrimitives } from '../crypto/src/primitives/select';
import type { Primitives } from '../crypto/src/primitives/types';
import {
  decodeAuthChallengeResponse,
  decodeAuthSessionResponse,
  encodeAuthChallengeRequest,
  encodeAuthSessionRequest,
  encodeLogAppendRequest,
} from '../crypto/src/wire/http-bodies';
import { decodePrekeyBundle } from '../crypto/src/wire/identity';
import type { GroupPolicy } from '../crypto/src/wire/log-entry';
import { signRelayAuthChallenge } from '../crypto/src/wire/relay-auth';
import { decodeRelayFrame, encodeClientFrame, FRAME, relayErrorName } from '../crypto/src/wire/relay-frames';
import { emitFigure, percentile } from '../bench/schema';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface SoakOptions {
  /** Length of the load phase in seconds. */
  seconds: number;
  /** WebSocket connections (one device each), >= 100. */
  connections: number;
  /** Group messages per second, in total over all groups. */
  rate: number;
  /** Members per group who send (the others only read). */
  talkersPerGroup: number;
  /** Non-talking members per group who decrypt and check every message. */
  decryptorsPerGroup: number;
  /** Allowed RSS growth of the relay over the load phase, bytes. */
  rssGrowthBytes: number;
  /** SQLite synchronous mode of the relay child. */
  synchronous: 'FULL' | 'NORMAL';
  /** Group sizes (50-500 each) instead of the default plan for `connections`. */
  groupSizes?: number[];
  /**
   * Self-check of the verdict: on the client side, one member discards one delivery and
   * another processes one delivery twice, as a relay bug would. The run must then fail.
   */
  injectFault?: boolean;
  /** How long to wait for outstanding acks and deliveries after the load (ms). */
  drainMs?: number;
  /** Write progress lines to stderr. */
  verbose: boolean;
  /** Print figure lines on stdout. */
  emit: boolean;
}

export interface SoakResult {
  ok: boolean;
  failures: string[];
  connections: number;
  groupSizes: number[];
  setupSeconds: number;
  loadSeconds: number;
  sent: number;
  acked: number;
  deliveries: number;
  expectedDeliveries: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  decrypted: number;
  decryptFailures: number;
  errors: number;
  errorsByName: Record<string, number>;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  rss: { atSeconds: number; bytes: number }[];
  rssGrowthBytes: number;
  rssBoundBytes: number;
}

export const DEFAULT_SOAK: SoakOptions = {
  seconds: 60,
  connections: 2000,
  rate: 10,
  talkersPerGroup: 8,
  decryptorsPerGroup: 2,
  rssGrowthBytes: 96 * 1024 * 1024,
  synchronous: 'FULL',
  verbose: true,
  emit: true,
};

/** Sizes of the groups: 50-500 members each, a mix of sizes, summing to `connections`. */
export function planGroups(connections: number): number[] {
  if (!Number.isInteger(connections) || connections < 100) throw new RangeError('"connections" expected an integer >= 100');
  const cycle = [500, 50, 200, 100, 300, 150, 60, 400, 80, 250];
  const sizes: number[] = [];
  let left = connections;
  for (let i = 0; left > 0; i++) {
    let s = Math.min(cycle[i % cycle.length]!, left);
    // Never leave a remainder below 50: shrink this group, or take the remainder in.
    if (left - s > 0 && left - s < 50) s = left >= 100 ? left - 50 : left;
    sizes.push(s);
    left -= s;
  }
  return sizes;
}

const POLICY: GroupPolicy = {
  joinPolicy: 'approval',
  mayInvite: 'admins',
  mayEditInfo: 'admins',
  maySendMedia: 'members',
  groupMuted: false,
  mutedMembers: [],
  piiPolicy: new Uint8Array(0),
};

interface Member {
  gi: number;
  mi: number;
  identity: DeviceIdentity;
  prekeys: PrekeyStore;
  token: Uint8Array;
  ws: WebSocket | null;
  state: GroupMemberState | null;
  sender: SenderState | null;
  receiver: ReceiverState | null;
  /** Relay sequence numbers received (in arrival order). */
  lastSeq: number;
  received: number;
  duplicated: number;
  outOfOrder: number;
  /** Acknowledged messages this member sent. */
  ownAcked: number;
  inFlight: number;
  joined: boolean;
  caughtUp: boolean;
}

interface Group {
  gi: number;
  groupId: Uint8Array;
  members: Member[];
  talkers: Member[];
  /** seq -> acknowledged (from SEND_OK). */
  ackedSeqs: Set<number>;
  /** sentAt by senderIndex * 2^32 + generation. */
  sentAt: Map<number, number>;
}

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function httpPost(base: string, path: string, body: Uint8Array, token?: Uint8Array): Promise<{ status: number; bytes: Uint8Array }> {
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
  if (token) headers.authorization = `Bearer ${bytesToHex(token)}`;
  // A pooled keep-alive socket the relay has just closed fails the request: retry (bounded).
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(base + path, { method: 'POST', headers, body: body as unknown as string });
      return { status: res.status, bytes: new Uint8Array(await res.arrayBuffer()) };
    } catch (e) {
      if (attempt >= 4) throw new Error(`POST ${path.split('/').slice(0, 3).join('/')} failed ${attempt} times: ${(e as Error & { cause?: Error }).cause?.message ?? String(e)}`);
      await sleep(100 * attempt);
    }
  }
}

async function login(base: string, p: Primitives, id: DeviceIdentity): Promise<Uint8Array> {
  const ch = await httpPost(base, '/v1/auth/challenge', encodeAuthChallengeRequest({ identityKey: id.publicKey }));
  if (ch.status !== 200) throw new Error(`auth challenge refused: ${ch.status}`);
  const { challenge } = decodeAuthChallengeResponse(ch.bytes);
  const signature = signRelayAuthChallenge(p, id.seed, challenge);
  const s = await httpPost(base, '/v1/auth/session', encodeAuthSessionRequest({ challenge, signature }));
  if (s.status !== 200) throw new Error(`auth session refused: ${s.status}`);
  return decodeAuthSessionResponse(s.bytes).token;
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error('no VmRSS');
  return Number(m[1]) * 1024;
}

/** utime + stime of a process in clock ticks (100 per second on Linux). */
function cpuTicksOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** Soft and hard open-file limits of this process (via the shell's ulimit). */
export function fileLimits(): { soft: number; hard: number } {
  const r = spawnSync('sh', ['-c', 'ulimit -Sn; ulimit -Hn'], { encoding: 'utf8' });
  const [soft, hard] = r.stdout.trim().split('\n').map((s) => (s === 'unlimited' ? Infinity : Number(s)));
  return { soft: soft ?? 1024, hard: hard ?? 1024 };
}

interface RelayChild {
  child: ChildProcess;
  pid: number;
  httpUrl: string;
  wsUrl: string;
  dir: string;
  stop(): Promise<void>;
}

async function startRelayChild(opts: SoakOptions, fdLimit: number): Promise<RelayChild> {
  const dir = mkdtempSync(join(tmpdir(), 'soak-relay-'));
  const args = [
    '--import', 'tsx', 'relay/src/main.ts',
    '--port', '0', '--data-dir', dir, '--synchronous', opts.synchronous,
    // The soak measures endurance, not the per-IP limiter: every socket comes from 127.0.0.1.
    '--ip-rate', '10000000', '--send-rate', '1000', '--max-connections', String(opts.connections + 100),
    '--log-level', 'info',
  ];
  // Raise the relay's open-file limit in a shell that then execs node (same pid).
  const quoted = [process.execPath, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('sh', ['-c', `ulimit -n ${fdLimit} && exec ${quoted}`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const m = await new Promise<RegExpExecArray>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`relay did not start: ${out}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const hit = /listening on (http:\/\/[\d.:]+) \(WebSocket (ws:\/\/\S+)\)/.exec(out);
      if (hit) {
        clearTimeout(t);
        res(hit);
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => rej(new Error(`relay exited ${code}: ${out}`)));
  });
  return {
    child,
    pid: child.pid!,
    httpUrl: m[1]!,
    wsUrl: m[2]!,
    dir,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const done = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await done;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Offsets inside a MESSAGE frame: type, u8 len, groupId, u64 seq, sender[32], u64 epoch, u64 sentAt, u32 len, ciphertext. */
function messageFields(raw: Uint8Array): { seq: number; ciphertext: Uint8Array } {
  const g = raw[1]!;
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const seq = v.getUint32(2 + g) * 2 ** 32 + v.getUint32(6 + g);
  const at = 2 + g + 8 + 32 + 8 + 8;
  const len = v.getUint32(at);
  return { seq, ciphertext: raw.subarray(at + 4, at + 4 + len) };
}

export async function runSoak(options: Partial<SoakOptions> = {}): Promise<SoakResult> {
  const opts: SoakOptions = { ...DEFAULT_SOAK, ...options };
  const say = (s: string) => opts.verbose && process.stderr.write(`[soak] ${s}\n`);
  const failures: string[] = [];
  const p = await loadDefaultPrimitives(nodeRandom);
  const sizes = opts.groupSizes ? [...opts.groupSizes] : planGroups(opts.connections);
  if (sizes.some((s) => !Number.isInteger(s) || s < 2 || s > 500)) throw new RangeError('"groupSizes" expected integers in 2..500');
  opts.connections = sizes.reduce((a, b) => a + b, 0);

  // Open files: this process holds one socket per connection, so does the relay. (Node raises
  // its soft limit to the hard limit at start, so the soft limit read here is already raised.)
  const need = opts.connections + 512;
  const limits = fileLimits();
  if (limits.soft < need) {
    throw new Error(`open-file limit ${limits.soft} (hard ${limits.hard}) is below the ${need} this run needs: raise the hard limit (ulimit -Hn, limits.conf) or use fewer --connections`);
  }
  const relayFds = Math.min(limits.hard, Math.max(need, 4096));
  say(`open-file limit ${limits.soft} (hard ${limits.hard}); relay gets ${relayFds}`);

  const relay = await startRelayChild(opts, relayFds);
  say(`relay pid ${relay.pid} at ${relay.httpUrl}; groups ${sizes.join(', ')} (${opts.connections} connections)`);
  const errorsByName: Record<string, number> = {};
  const countError = (name: string) => (errorsByName[name] = (errorsByName[name] ?? 0) + 1);
  const groups: Group[] = [];
  const rss: { atSeconds: number; bytes: number }[] = [];
  let deliveries = 0;
  let decrypted = 0;
  let decryptFailures = 0;
  let sent = 0;
  let acked = 0;
  const latencies: number[] = [];
  const MAX_LATENCY_SAMPLES = 2_000_000;
  let latencySeen = 0;
  let loadStart = 0;
  let relayDied = false;
  relay.child.once('exit', () => (relayDied = true));
  const t0 = now();

  try {
    // --- setup: identities, logins, groups through the log --------------------------------
    for (let gi = 0; gi < sizes.length; gi++) {
      const size = sizes[gi]!;
      const members: Member[] = [];
      for (let mi = 0; mi < size; mi++) {
        members.push({
          gi, mi, identity: generateIdentity(p), prekeys: createPrekeyStore(p, Date.now()), token: new Uint8Array(0), ws: null,
          state: null, sender: null, receiver: null, lastSeq: 0, received: 0, duplicated: 0, outOfOrder: 0, ownAcked: 0,
          inFlight: 0, joined: mi === 0, caughtUp: false,
        });
      }
      for (let i = 0; i < size; i += 50) {
        await Promise.all(members.slice(i, i + 50).map(async (m) => (m.token = await login(relay.httpUrl, p, m.identity))));
      }
      const owner = members[0]!;
      const created = createGroup(p, owner.identity, { policy: POLICY });
      const c = await httpPost(relay.httpUrl, '/v1/groups', encodeLogAppendRequest({ expectedHead: new Uint8Array(32), entry: created.entry, envelopes: [] }), owner.token);
      if (c.status !== 201) throw new Error(`group create refused: ${c.status}`);
      const bundles = members.slice(1).map((m) => decodePrekeyBundle(prekeyBundleOf(p, m.identity.seed, m.prekeys)));
      const add = commitAdd(p, owner.identity, created.state, bundles);
      const groupId = created.state.public.groupId;
      const a = await httpPost(relay.httpUrl, `/v1/groups/${bytesToHex(groupId)}/log`, encodeLogAppendRequest({ expectedHead: created.state.public.headHash, entry: add.entry, envelopes: add.envelopes }), owner.token);
      if (a.status !== 200) throw new Error(`group add refused: ${a.status}`);
      owner.state = add.state;
      // Talkers: the owner and the next members; decryptors: the members after them.
      const talkers = members.slice(0, Math.min(opts.talkersPerGroup, size - 1));
      groups.push({ gi, groupId, members, talkers, ackedSeqs: new Set(), sentAt: new Map() });
      say(`group ${gi}: ${size} members logged in, created and added (${((now() - t0) / 1000).toFixed(1)} s)`);
    }

    let stopping = false;
    let dropped: Member | null = null;
    let doubled: Member | null = null;
    // --- connect: every device resumes from the start of the log and joins from its welcome --
    const onFrame = (g: Group, m: Member, raw: Uint8Array) => {
      if (raw[0] === FRAME.MESSAGE) {
        const { seq, ciphertext } = messageFields(raw);
        const t = now();
        deliveries++;
        if (seq <= m.lastSeq) {
          if (m.received > 0 && seq === m.lastSeq) m.duplicated++;
          else m.outOfOrder++;
        } else {
          m.lastSeq = seq;
        }
        m.received++;
        const v = new DataView(ciphertext.buffer, ciphertext.byteOffset, ciphertext.byteLength);
        const key = v.getUint16(21) * 2 ** 32 + v.getUint32(23);
        const at = g.sentAt.get(key);
        if (at !== undefined) {
          latencySeen++;
          const lat = t - at;
          if (latencies.length < MAX_LATENCY_SAMPLES) latencies.push(lat);
          else {
            const j = Math.floor(Math.random() * latencySeen);
            if (j < MAX_LATENCY_SAMPLES) latencies[j] = lat;
          }
        }
        if (m.receiver) {
          try {
            const d = decryptGroupMessage(p, m.receiver, ciphertext.slice(), { now: Date.now() });
            m.receiver = d.nextState;
            const text = utf8DecodeStrict(d.plaintext) ?? '';
            const sender = g.members.find((x) => equalBytes(x.identity.memberId, d.sender.memberId));
            if (!sender || !text.startsWith(`soak g${g.gi} m${sender.mi} `)) throw new Error('plaintext does not match its sender');
            decrypted++;
          } catch {
            decryptFailures++;
          }
        }
        return;
      }
      const f = decodeRelayFrame(raw);
      switch (f.type) {
        case FRAME.LOG_ENTRY:
          if (f.index === 1 && !m.joined) {
            const j = joinFromWelcome(p, m.identity.memberId, m.prekeys, f.entry, f.envelope);
            // Only talkers and decryptors keep their group state (a 500-member public state
            // per device would make this one process hold 2,000 of them); the others have
            // verified their welcome and from here on only count deliveries.
            m.state = m.mi < opts.talkersPerGroup + opts.decryptorsPerGroup ? j.state : null;
            m.prekeys = j.prekeys;
            m.joined = true;
          }
          break;
        case FRAME.CAUGHT_UP:
          m.caughtUp = true;
          break;
        case FRAME.SEND_OK:
          m.inFlight--;
          if (f.duplicate || g.ackedSeqs.has(f.seq)) countError('DUPLICATE_ACK');
          g.ackedSeqs.add(f.seq);
          m.ownAcked++;
          acked++;
          break;
        case FRAME.ERROR:
          m.inFlight = Math.max(0, m.inFlight - 1);
          countError(relayErrorName(f.code) ?? `code ${f.code}`);
          break;
        default:
          break;
      }
    };

    const connect = (g: Group, m: Member) =>
      new Promise<void>((res, rej) => {
        const ws = new WebSocket(relay.wsUrl, { perMessageDeflate: false });
        m.ws = ws;
        let ready = false;
        const timer = setTimeout(() => rej(new Error('connection did not catch up in 60 s')), 60_000);
        ws.on('error', (e) => (ready ? countError('SOCKET_ERROR') : rej(e)));
        ws.on('close', (code) => {
          if (!stopping) countError(`CLOSED_${code}`);
        });
        ws.on('open', () => ws.send(encodeClientFrame({ type: FRAME.AUTH, token: m.token })));
        ws.on('message', (data: Buffer) => {
          const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
          if (!ready) {
            const f = decodeRelayFrame(raw);
            if (f.type === FRAME.READY) {
              ready = true;
              ws.send(encodeClientFrame({ type: FRAME.RESUME, cursors: [{ groupId: g.groupId, messageAfter: 0, logFrom: 0 }] }));
            } else if (f.type === FRAME.ERROR) {
              rej(new Error(`AUTH refused: ${relayErrorName(f.code)}`));
            }
            return;
          }
          try {
            if (opts.injectFault && raw[0] === FRAME.MESSAGE && m.mi > 0) {
              if (!dropped) {
                dropped = m;
                return;
              }
              if (!doubled && m !== dropped) {
                doubled = m;
                onFrame(g, m, raw);
              }
            }
            onFrame(g, m, raw);
          } catch (e) {
            countError('CLIENT_FRAME_FAILURE');
            failures.push(`member ${g.gi}/${m.mi}: ${e instanceof Error ? e.message : String(e)}`);
          }
          if (m.caughtUp && m.joined) {
            clearTimeout(timer);
            res();
          }
        });
      });
    for (const g of groups) {
      for (let i = 0; i < g.members.length; i += 100) await Promise.all(g.members.slice(i, i + 100).map((m) => connect(g, m)));
      // Talkers and decryptors enter the epoch the add started.
      const decryptors = g.members.slice(g.talkers.length, g.talkers.length + opts.decryptorsPerGroup);
      for (const m of [...g.talkers, ...decryptors]) {
        const view = epochView(p, m.state!)!;
        const st = startEpoch(p, view, m.identity.memberId, null, { now: Date.now() });
        if (g.talkers.includes(m)) m.sender = st.senderState;
        else m.receiver = st.receiverState;
        view.senderRoot.fill(0);
      }
      say(`group ${g.gi}: ${g.members.length} sockets joined (${((now() - t0) / 1000).toFixed(1)} s)`);
    }
    const setupSeconds = (now() - t0) / 1000;
    say(`setup done in ${setupSeconds.toFixed(1)} s; load ${opts.seconds} s at ${opts.rate} msgs/s`);

    // --- load: paced sends, RSS samples ----------------------------------------------------
    loadStart = now();
    const rssEveryMs = Math.max(1000, Math.min(10_000, (opts.seconds * 1000) / 30));
    const sampleRss = () => {
      try {
        rss.push({ atSeconds: (now() - loadStart) / 1000, bytes: rssOf(relay.pid) });
      } catch {
        relayDied = true;
      }
    };
    sampleRss();
    let counter = 0;
    let carry = 0;
    let last = now();
    const talkers = groups.flatMap((g) => g.talkers.map((m) => ({ g, m })));
    const MAX_IN_FLIGHT = 64;
    let skipped = 0;
    const sendOne = () => {
      const { g, m } = talkers[Math.floor(Math.random() * talkers.length)]!;
      if (m.inFlight >= MAX_IN_FLIGHT) {
        skipped++;
        return;
      }
      const text = `soak g${g.gi} m${m.mi} n${counter++} ${'.'.repeat(counter % 120)}`;
      const prepared = encryptGroupMessage(p, m.sender!, utf8Encode(text), { identitySeed: m.identity.seed });
      m.sender = prepared.nextState;
      const ciphertext = prepared.release(m.sender);
      g.sentAt.set(m.sender.senderIndex * 2 ** 32 + prepared.generation, now());
      m.inFlight++;
      sent++;
      m.ws!.send(encodeClientFrame({ type: FRAME.SEND, clientMessageId: p.randomBytes(16), groupId: g.groupId, ciphertext }));
    };
    const tick = setInterval(() => {
      const t = now();
      carry += ((t - last) / 1000) * opts.rate;
      last = t;
      let burst = 0;
      while (carry >= 1 && burst++ < 1000) {
        carry -= 1;
        sendOne();
      }
    }, 10);
    const rssTimer = setInterval(sampleRss, rssEveryMs);
    let lastElu = performance.eventLoopUtilization();
    let lastCpu = { ticks: cpuTicksOf(relay.pid), at: now() };
    const cpuPercent = () => {
      const ticks = cpuTicksOf(relay.pid);
      const t = now();
      const pct = ((ticks - lastCpu.ticks) / 100 / ((t - lastCpu.at) / 1000)) * 100;
      lastCpu = { ticks, at: t };
      return pct;
    };
    const progressEvery = Math.max(5, Math.min(30, opts.seconds / 6));
    let nextProgress = progressEvery;
    const loadEnd = loadStart + opts.seconds * 1000;
    while (now() < loadEnd && !relayDied) {
      await sleep(Math.min(250, loadEnd - now()));
      const el = (now() - loadStart) / 1000;
      if (el >= nextProgress) {
        nextProgress += progressEvery;
        const r = rss[rss.length - 1];
        const elu = performance.eventLoopUtilization(lastElu);
        lastElu = performance.eventLoopUtilization();
        say(
          `${el.toFixed(0)} s: sent ${sent}, acked ${acked}, deliveries ${deliveries}, relay RSS ${r ? (r.bytes / 2 ** 20).toFixed(0) : '?'} MiB, ` +
            `relay CPU ${cpuPercent().toFixed(0)}%, load generator busy ${(elu.utilization * 100).toFixed(0)}%, heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB`,
        );
      }
    }
    clearInterval(tick);
    const loadSeconds = (now() - loadStart) / 1000;
    if (skipped) countError('SENDER_BACKLOGGED');

    // --- drain: wait (bounded) for every ack and every delivery ------------------------------
    const expectedOf = (g: Group, m: Member) => g.ackedSeqs.size - m.ownAcked;
    const allIn = () =>
      groups.every((g) => g.members.every((m) => m.inFlight === 0 && m.received >= expectedOf(g, m)));
    const drainUntil = now() + (opts.drainMs ?? 20_000);
    while (!allIn() && now() < drainUntil && !relayDied) await sleep(50);
    await sleep(300); // late duplicates would arrive here
    sampleRss();
    clearInterval(rssTimer);
    stopping = true;

    // --- verdict -----------------------------------------------------------------------------
    let lost = 0;
    let duplicated = 0;
    let outOfOrder = 0;
    let expectedDeliveries = 0;
    for (const g of groups) {
      const maxSeq = g.ackedSeqs.size;
      for (let s = 1; s <= maxSeq; s++) if (!g.ackedSeqs.has(s)) failures.push(`group ${g.gi}: acknowledged sequence numbers have a gap at ${s}`);
      for (const m of g.members) {
        const expected = expectedOf(g, m);
        expectedDeliveries += expected;
        duplicated += m.duplicated;
        outOfOrder += m.outOfOrder;
        const unique = m.received - m.duplicated - m.outOfOrder;
        if (unique < expected) lost += expected - unique;
        if (m.lastSeq > maxSeq) failures.push(`group ${g.gi} member ${m.mi}: got seq ${m.lastSeq} that was never acknowledged (${maxSeq})`);
        if (m.inFlight !== 0) failures.push(`group ${g.gi} member ${m.mi}: ${m.inFlight} sends never answered`);
      }
    }
    if (relayDied) failures.push('the relay process died');
    if (lost) failures.push(`${lost} acknowledged deliveries lost`);
    if (duplicated) failures.push(`${duplicated} deliveries duplicated`);
    if (outOfOrder) failures.push(`${outOfOrder} deliveries out of order`);
    if (decryptFailures) failures.push(`${decryptFailures} messages failed to decrypt or verify`);
    if (sent === 0 || acked !== sent) failures.push(`${sent - acked} of ${sent} sends not acknowledged`);
    const errors = Object.values(errorsByName).reduce((a, b) => a + b, 0);
    if (errors) failures.push(`errors: ${JSON.stringify(errorsByName)}`);

    // RSS growth: median of the first fifth of the samples against the last fifth.
    const fifth = Math.max(1, Math.floor(rss.length / 5));
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    const rssGrowth = rss.length >= 2 ? med(rss.slice(-fifth).map((r) => r.bytes)) - med(rss.slice(0, fifth).map((r) => r.bytes)) : 0;
    if (rssGrowth > opts.rssGrowthBytes) failures.push(`relay RSS grew ${(rssGrowth / 2 ** 20).toFixed(1)} MiB (bound ${(opts.rssGrowthBytes / 2 ** 20).toFixed(0)} MiB)`);

    const result: SoakResult = {
      ok: failures.length === 0,
      failures,
      connections: opts.connections,
      groupSizes: sizes,
      setupSeconds,
      loadSeconds,
      sent,
      acked,
      deliveries,
      expectedDeliveries,
      lost,
      duplicated,
      outOfOrder,
      decrypted,
      decryptFailures,
      errors,
      errorsByName,
      latencyP50Ms: latencies.length ? percentile(latencies, 0.5) : NaN,
      latencyP99Ms: latencies.length ? percentile(latencies, 0.99) : NaN,
      latencyMaxMs: latencies.length ? percentile(latencies, 1) : NaN,
      rss,
      rssGrowthBytes: rssGrowth,
      rssBoundBytes: opts.rssGrowthBytes,
    };
    if (opts.emit) emitSoakFigures(result, opts);
    return result;
  } finally {
    for (const g of groups) for (const m of g.members) m.ws?.terminate();
    await relay.stop();
  }
}

function emitSoakFigures(r: SoakResult, opts: SoakOptions): void {
  const params = { connections: r.connections, groups: r.groupSizes.length, seconds: Math.round(r.loadSeconds), rate: opts.rate, synchronous: opts.synchronous };
  emitFigure({ name: 'soak-deliveries', impl: 'ours', unit: 'messages', value: r.deliveries, params });
  emitFigure({ name: 'soak-delivery-rate', impl: 'ours', unit: 'deliveries/s', value: r.deliveries / r.loadSeconds, params });
  if (Number.isFinite(r.latencyP50Ms)) {
    emitFigure({ name: 'soak-latency', impl: 'ours', unit: 'ms', value: r.latencyP50Ms, params: { ...params, percentile: 'p50' } });
    emitFigure({ name: 'soak-latency', impl: 'ours', unit: 'ms', value: r.latencyP99Ms, params: { ...params, percentile: 'p99' } });
  }
  emitFigure({ name: 'soak-lost', impl: 'ours', unit: 'messages', value: r.lost, params });
  emitFigure({ name: 'soak-duplicated', impl: 'ours', unit: 'messages', value: r.duplicated, params });
  emitFigure({ name: 'soak-errors', impl: 'ours', unit: 'messages', value: r.errors, params });
  for (const s of r.rss) emitFigure({ name: 'soak-relay-rss', impl: 'ours', unit: 'bytes', value: s.bytes, params: { ...params, atSeconds: Math.round(s.atSeconds) } });
  emitFigure({ name: 'soak-relay-rss-growth', impl: 'ours', unit: 'bytes', value: r.rssGrowthBytes, params: { ...params, bound: r.rssBoundBytes } });
}

function parseArgs(argv: string[]): Partial<SoakOptions> {
  const out: Partial<SoakOptions> = {};
  const num = (flag: string, v: string | undefined, min: number, max: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < min || n > max) throw new RangeError(`${flag} expected a number in ${min}..${max}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--minutes':
        out.seconds = num(flag, value(), 0.05, 24 * 60) * 60;
        break;
      case '--seconds':
        out.seconds = num(flag, value(), 1, 24 * 3600);
        break;
      case '--connections':
        out.connections = Math.round(num(flag, value(), 100, 20_000));
        break;
      case '--rate':
        out.rate = num(flag, value(), 0.1, 10_000);
        break;
      case '--talkers':
        out.talkersPerGroup = Math.round(num(flag, value(), 1, 499));
        break;
      case '--rss-growth-mb':
        out.rssGrowthBytes = num(flag, value(), 1, 1_000_000) * 2 ** 20;
        break;
      case '--synchronous': {
        const v = value();
        if (v !== 'FULL' && v !== 'NORMAL') throw new RangeError('--synchronous expected FULL or NORMAL');
        out.synchronous = v;
        break;
      }
      case '--help':
        process.stdout.write(
          'npm run soak -- --minutes N [--connections 2000] [--rate 10] [--talkers 8] [--rss-growth-mb 96] [--synchronous FULL|NORMAL]\n',
        );
        process.exit(0);
      // falls through (exit)
      default:
        throw new RangeError(`unknown flag ${flag}`);
    }
  }
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let opts: Partial<SoakOptions>;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`soak: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  }
  main(opts);
}

function main(opts: Partial<SoakOptions>): void {
  // Hard stop: load + generous setup and drain time.
  const hard = setTimeout(() => {
    process.stderr.write('soak: hard time limit reached\n');
    process.exit(3);
  }, ((opts.seconds ?? DEFAULT_SOAK.seconds) + 600) * 1000);
  hard.unref();
  runSoak(opts).then(
    (r) => {
      process.stderr.write(
        `[soak] ${r.ok ? 'PASS' : 'FAIL'}: ${r.deliveries} deliveries of ${r.acked} messages to ${r.connections} connections in ${r.groupSizes.length} groups; ` +
          `lost ${r.lost}, duplicated ${r.duplicated}, errors ${r.errors}; latency p50 ${r.latencyP50Ms.toFixed(2)} ms, p99 ${r.latencyP99Ms.toFixed(2)} ms; ` +
          `relay RSS ${(r.rss[0]!.bytes / 2 ** 20).toFixed(0)} -> ${(r.rss[r.rss.length - 1]!.bytes / 2 ** 20).toFixed(0)} MiB (growth ${(r.rssGrowthBytes / 2 ** 20).toFixed(1)} MiB, bound ${(r.rssBoundBytes / 2 ** 20).toFixed(0)})\n`,
      );
      for (const f of r.failures) process.stderr.write(`[soak] failure: ${f}\n`);
      process.exit(r.ok ? 0 : 1);
    },
    (e: unknown) => {
      process.stderr.write(`soak: failed: ${e instanceof Error ? e.stack : String(e)}\n`);
      process.exit(1);
    },
  );
}
