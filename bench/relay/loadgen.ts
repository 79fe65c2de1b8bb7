// Load generator for the relay bench, run as its own process: connects sockets, drives one
// scenario, prints ONE JSON result line on stdout. Input: a JSON file (argv[2]) written by
// bench/suites/relay.ts. Every loop is bounded in count and time.
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { hexToBytes } from '../../crypto/src/bytes';
import { decodeRelayFrame, encodeClientFrame, FRAME, type ClientFrame } from '../../crypto/src/wire/relay-frames';
import { fakeGroupMessage } from '../../relay/test/helpers/log';

export interface LoadGroup {
  groupId: string;
  epoch: number;
  logLength: number;
  /** Sender index of member 0 in the group's message headers. */
  senderIndex: number;
  /** Tokens (hex) of the members; member 0 sends. */
  tokens: string[];
  /** WebSocket URL per member (several relay instances); default spec.wsUrl. */
  wsUrls?: string[];
}

export interface LoadSpec {
  mode: 'fanout' | 'latency' | 'ingest' | 'idle' | 'kick';
  wsUrl: string;
  httpUrl?: string;
  groups: LoadGroup[];
  durationMs: number;
  /** latency: messages per second in total. */
  rate?: number;
  /** sends in flight per sender (fanout, ingest). */
  window?: number;
  paddedBytes?: number;
  /** idle: sockets to open with groups[0].tokens[0]. */
  connections?: number;
  /** kick: the append to POST once every receiver is ready. */
  kick?: { token: string; groupId: string; body: string; kicked: string };
}

const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadSpec;
const now = () => performance.timeOrigin + performance.now();
const out = (o: unknown) => process.stdout.write(JSON.stringify(o) + '\n');

/** MESSAGE frames arrive undecoded (`f` null) to keep the load generator cheap; others decoded. */
type Handler = (f: ReturnType<typeof decodeRelayFrame> | null, raw: Uint8Array) => void;

/** Offset of the ciphertext in a MESSAGE frame: type, u8 g, groupId, seq, sender, epoch, sentAt, u32 len. */
function messageCiphertextOffset(raw: Uint8Array): number {
  return 2 + raw[1]! + 8 + 32 + 8 + 8 + 4;
}

function open(token: Uint8Array, cursors: { groupId: Uint8Array; messageAfter: number; logFrom: number }[], onFrame: Handler, resume = true, url = spec.wsUrl): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    let pendingCaughtUp = cursors.length;
    ws.on('error', reject);
    ws.on('open', () => ws.send(encodeClientFrame({ type: FRAME.AUTH, token })));
    ws.on('message', (data: Buffer) => {
      const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      if (raw[0] === FRAME.MESSAGE) return onFrame(null, raw);
      const f = decodeRelayFrame(raw);
      if (f.type === FRAME.READY) {
        if (!resume) return resolve(ws);
        ws.send(encodeClientFrame({ type: FRAME.RESUME, cursors }));
        if (pendingCaughtUp === 0) setTimeout(() => resolve(ws), 50);
        return;
      }
      if (f.type === FRAME.CAUGHT_UP && pendingCaughtUp > 0 && --pendingCaughtUp === 0) return resolve(ws);
      onFrame(f, raw);
    });
  });
}

function send(ws: WebSocket, f: ClientFrame): void {
  ws.send(encodeClientFrame(f));
}

let counter = 0;
function clientId(): Uint8Array {
  // Time-ordered client message IDs: 6 bytes of milliseconds, then a counter.
  const id = new Uint8Array(16);
  const t = Date.now();
  const v = new DataView(id.buffer);
  v.setUint16(0, Math.floor(t / 2 ** 32));
  v.setUint32(2, t >>> 0);
  v.setUint32(8, process.pid);
  v.setUint32(12, counter++);
  return id;
}

function cursorOf(g: LoadGroup) {
  return { groupId: hexToBytes(g.groupId), messageAfter: 1e12, logFrom: g.logLength };
}

async function connectAll(onFrame: (gi: number, mi: number) => Handler) {
  const socks: WebSocket[][] = [];
  for (let gi = 0; gi < spec.groups.length; gi++) {
    const g = spec.groups[gi]!;
    socks.push(await Promise.all(g.tokens.map((t, mi) => open(hexToBytes(t), [cursorOf(g)], onFrame(gi, mi), true, g.wsUrls?.[mi] ?? spec.wsUrl))));
  }
  return socks;
}

async function fanoutOrIngest(): Promise<void> {
  let deliveries = 0;
  let acks = 0;
  let measuring = false;
  const window = spec.window ?? 128;
  const socks = await connectAll((gi, mi) => (f) => {
    if (f === null) {
      if (measuring) deliveries++;
    } else if (f.type === FRAME.SEND_OK && mi === 0) {
      if (measuring) acks++;
      if (running) sendNext(gi);
    }
  });
  let running = true;
  const sendNext = (gi: number) => {
    const g = spec.groups[gi]!;
    send(socks[gi]![0]!, { type: FRAME.SEND, clientMessageId: clientId(), groupId: hexToBytes(g.groupId), ciphertext: payload(g) });
  };
  const payloads = new Map<string, Uint8Array>();
  const payload = (g: LoadGroup) => {
    let pl = payloads.get(g.groupId);
    if (!pl) payloads.set(g.groupId, (pl = fakeGroupMessage(hexToBytes(g.groupId), g.epoch, 0, spec.paddedBytes ?? 256, g.senderIndex)));
    return pl;
  };
  for (let gi = 0; gi < spec.groups.length; gi++) for (let k = 0; k < window; k++) sendNext(gi);
  await new Promise((r) => setTimeout(r, Math.min(1000, spec.durationMs / 4))); // warm-up
  measuring = true;
  const t0 = now();
  await new Promise((r) => setTimeout(r, spec.durationMs));
  measuring = false;
  const secs = (now() - t0) / 1000;
  running = false;
  out({ deliveriesPerSec: deliveries / secs, acksPerSec: acks / secs, deliveries, acks, seconds: secs });
  for (const row of socks) for (const ws of row) ws.terminate();
}

async function latency(): Promise<void> {
  const samples: number[] = [];
  let measuring = false;
  const socks = await connectAll(() => (f, raw) => {
    if (f !== null || !measuring) return;
    const sent = new DataView(raw.buffer, raw.byteOffset).getFloat64(messageCiphertextOffset(raw) + 27);
    samples.push(now() - sent);
  });
  const rate = spec.rate ?? 1000;
  const tickMs = 5;
  let carry = 0;
  let gi = 0;
  const base = spec.groups.map((g) => fakeGroupMessage(hexToBytes(g.groupId), g.epoch, 0, spec.paddedBytes ?? 256, g.senderIndex));
  const timer = setInterval(() => {
    carry += (rate * tickMs) / 1000;
    while (carry >= 1) {
      carry -= 1;
      gi = (gi + 1) % spec.groups.length;
      const msg = base[gi]!.slice();
      new DataView(msg.buffer).setFloat64(27, now());
      send(socks[gi]![0]!, { type: FRAME.SEND, clientMessageId: clientId(), groupId: hexToBytes(spec.groups[gi]!.groupId), ciphertext: msg });
    }
  }, tickMs);
  await new Promise((r) => setTimeout(r, Math.min(1000, spec.durationMs / 4)));
  measuring = true;
  await new Promise((r) => setTimeout(r, spec.durationMs));
  clearInterval(timer);
  await new Promise((r) => setTimeout(r, 300));
  measuring = false;
  samples.sort((a, b) => a - b);
  const pct = (q: number) => samples[Math.min(samples.length - 1, Math.max(0, Math.ceil(q * samples.length) - 1))] ?? NaN;
  out({ p50: pct(0.5), p99: pct(0.99), samples: samples.length, deliveriesPerSec: samples.length / (spec.durationMs / 1000) });
  for (const row of socks) for (const ws of row) ws.terminate();
}

async function idle(): Promise<void> {
  const g = spec.groups[0]!;
  const token = hexToBytes(g.tokens[0]!);
  const n = spec.connections ?? 1000;
  const socks: WebSocket[] = [];
  const batch = 200;
  for (let i = 0; i < n; i += batch) {
    const k = Math.min(batch, n - i);
    socks.push(...(await Promise.all(Array.from({ length: k }, () => open(token, [cursorOf(g)], () => undefined)))));
  }
  out({ opened: socks.length });
  // Stay idle until the suite has measured and sends SIGTERM (bounded).
  await new Promise((r) => setTimeout(r, spec.durationMs));
  for (const ws of socks) ws.terminate();
}

async function kick(): Promise<void> {
  const k = spec.kick!;
  const g = spec.groups[0]!;
  const arrivals: number[] = [];
  let expected = 0;
  let t0 = 0;
  let resolveAll: () => void = () => undefined;
  const all = new Promise<void>((r) => (resolveAll = r));
  const socks = await Promise.all(
    g.tokens.map((t, mi) =>
      open(hexToBytes(t), [cursorOf(g)], (f) => {
        if (f?.type === FRAME.LOG_ENTRY && mi !== 0 && t !== k.kicked) {
          arrivals.push(now() - t0);
          if (arrivals.length === expected) resolveAll();
        }
      }),
    ),
  );
  expected = g.tokens.filter((t, mi) => mi !== 0 && t !== k.kicked).length;
  t0 = now();
  const res = await fetch(`${spec.httpUrl}/v1/groups/${k.groupId}/log`, {
    method: 'POST',
    headers: { authorization: `Bearer ${k.token}`, 'content-type': 'application/octet-stream' },
    body: hexToBytes(k.body) as unknown as string,
  });
  const status = res.status;
  await Promise.race([all, new Promise((r) => setTimeout(r, spec.durationMs))]);
  arrivals.sort((a, b) => a - b);
  const pct = (q: number) => arrivals[Math.min(arrivals.length - 1, Math.max(0, Math.ceil(q * arrivals.length) - 1))] ?? NaN;
  out({ status, received: arrivals.length, expected, p50: pct(0.5), p99: pct(0.99), max: arrivals[arrivals.length - 1] ?? NaN });
  for (const ws of socks) ws.terminate();
}

const modes = { fanout: fanoutOrIngest, ingest: fanoutOrIngest, latency, idle, kick } as const;
const hardStop = setTimeout(() => {
  process.stderr.write('loadgen: hard time limit reached\n');
  process.exit(3);
}, spec.durationMs + 120_000);
hardStop.unref();
modes[spec.mode]().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`loadgen failed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
