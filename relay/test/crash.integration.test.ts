// kill -9 while acknowledgements are in flight: every acknowledged message survives,
// exactly once, with gap-free sequence numbers. The relay and the writer (which records
// every acknowledgement it receives) are separate processes; the relay is killed with
// SIGKILL three times on one data directory.
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesToHex } from '../../crypto/src/bytes';
import { nodeRandom } from '../../crypto/src/primitives/random';
import { loadDefaultPrimitives } from '../../crypto/src/primitives/select';
import { append, login } from './helpers/client';
import { buildAdd, buildCreate, makeDevice, senderIndexOf } from './helpers/log';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const KILLS = 3;
const dir = mkdtempSync(join(tmpdir(), 'relay-crash-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function tsx(args: string[]): ChildProcess {
  const c = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(c);
  return c;
}

async function startRelayChild(): Promise<{ child: ChildProcess; http: string; ws: string }> {
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

describe('crash safety', () => {
  it(`every acknowledged message survives ${KILLS} kill -9s exactly once, with no sequence gap`, async () => {
    const p = await loadDefaultPrimitives(nodeRandom);
    const a = makeDevice(p);
    const b = makeDevice(p);
    const ackFile = join(dir, 'acks.txt');
    let groupId: Uint8Array | null = null;
    let epoch = 0;
    let senderIndex = 0;
    for (let round = 0; round < KILLS; round++) {
      const relay = await startRelayChild();
      const token = (await login(relay.http, p, a)).token;
      if (!groupId) {
        const c = buildCreate(p, a);
        expect((await append(relay.http, token, null, new Uint8Array(32), c.entry, [])).status).toBe(201);
        await login(relay.http, p, b);
        const add = buildAdd(p, a, c.state, [b]);
        expect((await append(relay.http, token, c.state.groupId, c.state.headHash, add.entry, add.envelopes)).status).toBe(200);
        groupId = c.state.groupId;
        epoch = add.state.epoch;
        senderIndex = senderIndexOf(add.state, a.memberId);
      }
      const before = existsSync(ackFile) ? statSync(ackFile).size : 0;
      const writer = tsx(['relay/test/crash/writer.ts', relay.ws, bytesToHex(token), bytesToHex(groupId), String(epoch), ackFile, String(round), String(senderIndex)]);
      // Kill once a few hundred acknowledgements of this round are on record: sends are in flight.
      const deadline = Date.now() + 30_000;
      while ((existsSync(ackFile) ? statSync(ackFile).size : 0) - before < 300 * 40 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      relay.child.kill('SIGKILL');
      await exited(relay.child);
      await exited(writer);
    }
    const acks = readFileSync(ackFile, 'utf8').trim().split('\n');
    expect(acks.filter((l) => l.startsWith('error'))).toEqual([]);
    expect(acks.length).toBeGreaterThanOrEqual(KILLS * 300);

    // After a restart (which runs migrations and recovers the WAL), read the database.
    const last = await startRelayChild();
    last.child.kill('SIGTERM');
    await exited(last.child);
    const db = new Database(join(dir, 'relay.sqlite'), { readonly: true });
    const rows = db.prepare('SELECT seq, client_id FROM messages ORDER BY seq').all() as { seq: number; client_id: Buffer }[];
    db.close();
    const stored = new Map<string, number[]>();
    for (const r of rows) {
      const k = r.client_id.toString('hex');
      stored.set(k, [...(stored.get(k) ?? []), r.seq]);
    }
    for (const line of acks) {
      const [seq, id] = line.split(' ');
      expect(stored.get(id!)).toEqual([Number(seq)]);
    }
    // Sequence numbers 1..N with no gap (unacknowledged tails may exist; they also have seqs).
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: rows.length }, (_, i) => i + 1));
  });
});
