// The crash loop shared by relay/test/crash.integration.test.ts (3 kills) and
// scripts/crash-loop.ts (20 or more): a relay child process on one SQLite data directory
// (synchronous=FULL) takes a steady stream of sends from a writer process and live
// deliveries to a reader, and is killed with SIGKILL at a random moment each round.
// Afterwards:
//   - every acknowledged message is stored exactly once, at the seq it was acknowledged with
//     (sends in flight at a kill are re-sent with the same client message ID next round);
//   - seqs are 1..N with no gap;
//   - the reader, resuming each round from its own cursor, has received every seq exactly
//     once, in order, with the stored bytes.
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { bytesToHex } from '../../../crypto/src/bytes';
import { nodeRandom } from '../../../crypto/src/primitives/random';
import { loadDefaultPrimitives } from '../../../crypto/src/primitives/select';
import { decodeRelayFrame, encodeClientFrame, FRAME } from '../../../crypto/src/wire/relay-frames';
import { append, login } from '../helpers/client';
import { buildAdd, buildCreate, makeDevice, senderIndexOf } from '../helpers/log';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface CrashLoopOptions {
  kills: number;
  /** An empty directory for the relay's data and the writer's files. */
  dir: string;
  /** Seed of the kill delays (reproducible runs). */
  seed?: number;
  /** Kill delay range after the round's first acknowledgement, milliseconds. */
  minDelayMs?: number;
  maxDelayMs?: number;
  log?: (line: string) => void;
}

export interface CrashLoopResult {
  kills: number;
  acknowledged: number;
  /** Acknowledgements answered "duplicate" for a re-sent in-flight message (stored before the kill, ack lost). */
  duplicateAcks: number;
  /** Rows stored (acknowledged or not). */
  stored: number;
  /** Messages the reader received across all rounds, resuming from its cursor each time. */
  delivered: number;
  /** Problems found (empty when every check held). */
  problems: string[];
  killDelaysMs: number[];
  seconds: number;
}

/** Children still running; the caller kills them on teardown. */
export const children = new Set<ChildProcess>();

function tsx(args: string[]): ChildProcess {
  const c = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(c);
  c.once('exit', () => children.delete(c));
  return c;
}

async function startRelayChild(dir: string): Promise<{ child: ChildProcess; http: string; ws: string }> {
  const child = tsx(['relay/src/main.ts', '--port', '0', '--data-dir', dir, '--synchronous', 'FULL', '--send-rate', '1000000', '--ip-rate', '1000000']);
  let out = '';
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`relay did not start: ${out}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/[\d.:]+) \(WebSocket (ws:\/\/\S+)\)/.exec(out);
      if (m) {
        clearTimeout(t);
        res({ child, http: m[1]!, ws: m[2]! });
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => rej(new Error(`relay exited ${code}: ${out}`)));
  });
}

function exited(c: ChildProcess): Promise<void> {
  return c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r()));
}

function sha(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/**
 * A reader device: connects, resumes from its cursor, records every MESSAGE it gets (seq
 * and a hash of the bytes), acknowledges as it goes, and stops when the socket closes.
 */
class Reader {
  /** Highest seq received (the cursor sent in RESUME). */
  cursor = 0;
  logFrom = 0;
  received: { seq: number; hash: string }[] = [];
  private ws: WebSocket | null = null;
  private caughtUp: (() => void) | null = null;
  constructor(private readonly groupId: Uint8Array) {}

  async connect(url: string, token: Uint8Array): Promise<void> {
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.on('error', () => undefined);
    await new Promise<void>((res, rej) => {
      ws.once('open', () => res());
      ws.once('error', rej);
    });
    ws.on('message', (d: Buffer) => {
      const f = decodeRelayFrame(new Uint8Array(d));
      if (f.type === FRAME.READY) {
        ws.send(encodeClientFrame({ type: FRAME.RESUME, cursors: [{ groupId: this.groupId, messageAfter: this.cursor, logFrom: this.logFrom }] }));
      } else if (f.type === FRAME.MESSAGE) {
        this.received.push({ seq: f.seq, hash: sha(f.ciphertext) });
        if (f.seq > this.cursor) this.cursor = f.seq;
        if (f.seq % 64 === 0) ws.send(encodeClientFrame({ type: FRAME.ACK, groupId: this.groupId, seq: f.seq }));
      } else if (f.type === FRAME.LOG_ENTRY) {
        this.logFrom = Math.max(this.logFrom, f.index + 1);
      } else if (f.type === FRAME.CAUGHT_UP) {
        this.caughtUp?.();
      }
    });
    ws.send(encodeClientFrame({ type: FRAME.AUTH, token }));
  }

  /** Resolves at the next CAUGHT_UP (the catch-up of a resume is complete). */
  waitCaughtUp(timeoutMs: number): Promise<void> {
    return new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error('reader: no CAUGHT_UP')), timeoutMs);
      this.caughtUp = () => {
        clearTimeout(t);
        this.caughtUp = null;
        res();
      };
    });
  }

  closed(): Promise<void> {
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((r) => ws.once('close', () => r()));
  }
}

export async function runCrashLoop(opts: CrashLoopOptions): Promise<CrashLoopResult> {
  const log = opts.log ?? (() => undefined);
  const started = Date.now();
  const minDelay = opts.minDelayMs ?? 50;
  const maxDelay = opts.maxDelayMs ?? 1500;
  let seed = (opts.seed ?? 0x5eed) >>> 0;
  const rand = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 0x100000000;
  };
  const p = await loadDefaultPrimitives(nodeRandom);
  const a = makeDevice(p);
  const b = makeDevice(p);
  const ackFile = join(opts.dir, 'acks.txt');
  const pendingFile = join(opts.dir, 'pending.txt');
  const problems: string[] = [];
  const killDelaysMs: number[] = [];
  let groupId: Uint8Array | null = null;
  let epoch = 0;
  let senderIndex = 0;
  let reader: Reader | null = null;

  for (let round = 0; round < opts.kills; round++) {
    const relay = await startRelayChild(opts.dir);
    const token = (await login(relay.http, p, a)).token;
    const readerToken = (await login(relay.http, p, b)).token;
    if (!groupId) {
      const c = buildCreate(p, a);
      if ((await append(relay.http, token, null, new Uint8Array(32), c.entry, [])).status !== 201) throw new Error('create failed');
      const add = buildAdd(p, a, c.state, [b]);
      if ((await append(relay.http, token, c.state.groupId, c.state.headHash, add.entry, add.envelopes)).status !== 200) throw new Error('add failed');
      groupId = c.state.groupId;
      epoch = add.state.epoch;
      senderIndex = senderIndexOf(add.state, a.memberId);
      reader = new Reader(groupId);
    }
    await reader!.connect(relay.ws, readerToken);
    const before = existsSync(ackFile) ? statSync(ackFile).size : 0;
    const writer = tsx(['relay/test/crash/writer.ts', relay.ws, bytesToHex(token), bytesToHex(groupId), String(epoch), ackFile, String(round), String(senderIndex), pendingFile]);
    // Steady load first (the first acknowledgement of the round), then a random moment.
    const deadline = Date.now() + 30_000;
    while ((existsSync(ackFile) ? statSync(ackFile).size : 0) === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    const delay = Math.round(minDelay + rand() * (maxDelay - minDelay));
    killDelaysMs.push(delay);
    await new Promise((r) => setTimeout(r, delay));
    relay.child.kill('SIGKILL');
    await exited(relay.child);
    await exited(writer);
    await reader!.closed();
    log(`round ${round + 1}/${opts.kills}: killed ${delay} ms into steady load; reader cursor ${reader!.cursor}`);
  }

  // A last start (recovers the WAL), the reader's final catch-up from its cursor, then a clean stop.
  const last = await startRelayChild(opts.dir);
  const lastToken = (await login(last.http, p, b)).token;
  const caughtUp = reader!.waitCaughtUp(20_000);
  await reader!.connect(last.ws, lastToken);
  await caughtUp;
  last.child.kill('SIGTERM');
  await exited(last.child);
  await reader!.closed();

  const db = new Database(join(opts.dir, 'relay.sqlite'), { readonly: true });
  const rows = db.prepare('SELECT seq, client_id, body FROM messages ORDER BY seq').all() as { seq: number; client_id: Buffer; body: Buffer }[];
  db.close();

  const lines = readFileSync(ackFile, 'utf8').trim().split('\n').filter(Boolean);
  const errors = lines.filter((l) => l.startsWith('error'));
  if (errors.length) problems.push(`${errors.length} error frames during the load (first: ${errors[0]})`);
  const acks = lines.filter((l) => !l.startsWith('error'));
  const stored = new Map<string, number[]>();
  for (const r of rows) {
    const k = r.client_id.toString('hex');
    stored.set(k, [...(stored.get(k) ?? []), r.seq]);
  }
  let duplicateAcks = 0;
  const ackedIds = new Set<string>();
  for (const line of acks) {
    const [seq, id, dup] = line.split(' ');
    if (dup === 'dup') duplicateAcks++;
    if (ackedIds.has(id!)) problems.push(`client ID ${id} acknowledged twice`);
    ackedIds.add(id!);
    const s = stored.get(id!);
    if (!s || s.length !== 1 || s[0] !== Number(seq)) problems.push(`acknowledged ${id} at seq ${seq}, stored at ${JSON.stringify(s ?? [])}`);
  }
  for (const [id, seqs] of stored) if (seqs.length > 1) problems.push(`client ID ${id} stored ${seqs.length} times`);
  const seqs = rows.map((r) => r.seq);
  for (let i = 0; i < seqs.length; i++) {
    if (seqs[i] !== i + 1) {
      problems.push(`seq gap: position ${i} holds seq ${seqs[i]}`);
      break;
    }
  }
  // The reader: every stored seq exactly once, in order, with the stored bytes.
  const got = reader!.received;
  if (got.length !== rows.length) problems.push(`reader received ${got.length} messages, ${rows.length} stored`);
  for (let i = 0; i < Math.min(got.length, rows.length); i++) {
    if (got[i]!.seq !== rows[i]!.seq || got[i]!.hash !== sha(rows[i]!.body)) {
      problems.push(`reader message ${i}: seq ${got[i]!.seq}, expected ${rows[i]!.seq} (or other bytes)`);
      break;
    }
  }
  if (acks.length < opts.kills) problems.push(`only ${acks.length} acknowledgements over ${opts.kills} rounds: no steady load`);
  return { kills: opts.kills, acknowledged: acks.length, duplicateAcks, stored: rows.length, delivered: got.length, problems, killDelaysMs, seconds: (Date.now() - started) / 1000 };
}
