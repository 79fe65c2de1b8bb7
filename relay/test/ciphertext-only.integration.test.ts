// The relay stores only ciphertext. Clients built on the crypto core push known plaintexts
// (Chinese text, a phone number, a group name, a file) through a real relay process; then
// scripts/plaintext-scan.ts searches the database, its -wal and -shm files, blob storage and
// the relay's log as UTF-8, UTF-16LE, hex and base64 and finds none of them. The scanner
// first proves itself on planted control strings that travel the same paths.
// On PostgreSQL the same flow runs against a fresh schema, and the scan covers a dump of
// every row of every table of that schema (all bytea and text values, raw) with the blobs
// and the log.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesToHex, utf8Encode } from '../../crypto/src/bytes';
import { encryptAttachment } from '../../crypto/src/attachment/stream';
import { generateIdentity } from '../../crypto/src/identity/identity';
import { commitGroupInfo, createGroup } from '../../crypto/src/log/commit';
import { epochView } from '../../crypto/src/log/member-state';
import { encryptGroupMessage, startEpoch } from '../../crypto/src/message';
import { nodeRandom } from '../../crypto/src/primitives/random';
import { loadDefaultPrimitives } from '../../crypto/src/primitives/select';
import { FRAME } from '../../crypto/src/wire/relay-frames';
import { scanForPlaintexts } from '../../scripts/plaintext-scan';
import { append, http, login, WsClient } from './helpers/client';
import { DEFAULT_POLICY, fakeGroupMessage } from './helpers/log';
import { freshSchema, unavailable, type FreshSchema } from './helpers/stores';
import pg from 'pg';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(join(tmpdir(), 'relay-scan-'));
const pgDir = mkdtempSync(join(tmpdir(), 'relay-scan-pg-'));
let child: ChildProcess | undefined;
let schema: FreshSchema | undefined;
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  rmSync(pgDir, { recursive: true, force: true });
  await schema?.drop();
});

const CHINESE = '明天下午三点在第一人民医院肿瘤科复诊，记得带上化验单';
const PHONE = '13912345678';
const GROUP_NAME = '乳腺癌病友互助群（第三病区）';
const FILE_TEXT = '病理报告：患者王秀英，浸润性导管癌，ER阳性，建议辅助化疗四个周期。';
const CONTROL = 'CONTROL-明文-控制串-20261126';

async function startRelayChild(dataDir: string, env: Record<string, string> = {}): Promise<{ http: string; ws: string }> {
  const log = createWriteStream(join(dataDir, 'relay.log'));
  child = spawn(process.execPath, ['--import', 'tsx', 'relay/src/main.ts', '--port', '0', '--data-dir', dataDir, '--log-level', 'info'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.pipe(log);
  let out = '';
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`relay did not start: ${out}`)), 30_000);
    child!.stdout!.on('data', (d: Buffer) => {
      log.write(d);
      out += d.toString();
      const m = /listening on (http:\/\/[\d.:]+) \(WebSocket (ws:\/\/\S+)\)/.exec(out);
      if (m) {
        clearTimeout(t);
        res({ http: m[1]!, ws: m[2]! });
      }
    });
  });
}

/** Pushes the plaintexts (and the controls) through real clients and the relay at `relay`. */
async function pushPlaintexts(relay: { http: string; ws: string }): Promise<void> {
  const p = await loadDefaultPrimitives(nodeRandom);
  const me = generateIdentity(p);
  const token = (await login(relay.http, p, { seed: me.seed, identityKey: me.publicKey, memberId: me.memberId })).token;

  // Create the group, then name it: the name travels only inside the sealed group info.
  const created = createGroup(p, me, { policy: DEFAULT_POLICY });
  expect((await append(relay.http, token, null, new Uint8Array(32), created.entry, created.envelopes)).status).toBe(201);
  const named = commitGroupInfo(p, me, created.state, { type: 'private', name: GROUP_NAME, announcement: `${GROUP_NAME} 群公告：请联系 ${PHONE}`, avatar: new Uint8Array(0) });
  const gid = created.state.public.groupId;
  expect((await append(relay.http, token, gid, created.state.public.headHash, named.entry, named.envelopes)).status).toBe(200);

  // Messages, encrypted with the message layer on the epoch the log produced.
  const view = epochView(p, named.state)!;
  let sender = startEpoch(p, view, me.memberId, null, { now: Date.now() }).senderState;
  const ws = await WsClient.connect(relay.ws, token);
  await ws.waitFor((f) => f.type === FRAME.CAUGHT_UP);
  const plaintexts = [CHINESE, `我的手机号是${PHONE}，有事打我`, `欢迎加入${GROUP_NAME}`];
  for (const text of plaintexts) {
    const prepared = encryptGroupMessage(p, sender, utf8Encode(text), { identitySeed: me.seed });
    sender = prepared.nextState;
    ws.send({ type: FRAME.SEND, clientMessageId: p.randomBytes(16), groupId: gid, ciphertext: prepared.release(prepared.nextState) });
  }
  // Control: a "message" whose ciphertext bytes are the control string in the clear.
  const control = fakeGroupMessage(gid, view.epoch, 99, 64);
  control.set(utf8Encode(CONTROL), 27);
  ws.send({ type: FRAME.SEND, clientMessageId: p.randomBytes(16), groupId: gid, ciphertext: control });
  await ws.waitCount((f) => f.type === FRAME.SEND_OK, plaintexts.length + 1);

  // A file, encrypted as an attachment stream, uploaded as a blob.
  const { blob } = encryptAttachment(p, 'file', utf8Encode(FILE_TEXT.repeat(50)));
  expect((await http(relay.http, 'POST', `/v1/groups/${bytesToHex(gid)}/blobs`, blob, token)).status).toBe(201);
  // Controls in blob storage, in every encoding the scanner claims to find.
  for (const enc of ['utf16le', 'hex', 'base64'] as const) {
    const body = Buffer.from(`padding ${Buffer.from(CONTROL, enc === 'utf16le' ? 'utf16le' : 'utf8').toString(enc === 'utf16le' ? 'latin1' : enc)} padding`, 'latin1');
    expect((await http(relay.http, 'POST', `/v1/groups/${bytesToHex(gid)}/blobs`, new Uint8Array(body), token)).status).toBe(201);
  }
  ws.close();
}

/** Every value of every row of every table in the schema, raw, one file per table. */
async function dumpSchema(url: string, name: string, into: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const tables = await c.query<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [name]);
    expect(tables.rows.map((t) => t.table_name)).toEqual(expect.arrayContaining(['messages', 'log_entries', 'envelopes', 'groups', 'devices']));
    for (const { table_name } of tables.rows) {
      const rows = await c.query({ text: `SELECT * FROM ${name}.${table_name}`, rowMode: 'array' });
      const parts: Buffer[] = [];
      for (const row of rows.rows as unknown[][]) for (const v of row) parts.push(Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8'), Buffer.from([0]));
      writeFileSync(join(into, `${table_name}.dump`), Buffer.concat(parts));
    }
  } finally {
    await c.end();
  }
}

describe('ciphertext only', () => {
  it('no plaintext reaches the database, WAL, SHM, blobs or logs; planted controls are found', async () => {
    const relay = await startRelayChild(dir);
    await pushPlaintexts(relay);

    // Scan while the relay runs: the WAL and SHM files exist and hold the latest pages.
    const files = readdirSync(dir);
    expect(files).toEqual(expect.arrayContaining(['relay.sqlite', 'relay.sqlite-wal', 'relay.sqlite-shm', 'relay.log', 'blobs']));
    const found = scanForPlaintexts([dir], [CONTROL]);
    const encodings = new Set(found.map((f) => f.encoding));
    expect([...encodings]).toEqual(expect.arrayContaining(['utf8', 'utf16le', 'hex', 'base64']));
    expect(found.some((f) => f.file.includes('relay.sqlite'))).toBe(true);
    expect(found.some((f) => f.file.includes('blobs'))).toBe(true);

    const leaks = scanForPlaintexts([dir], [CHINESE, PHONE, GROUP_NAME, FILE_TEXT, '第一人民医院', '王秀英', '乳腺癌病友']);
    expect(leaks).toEqual([]);

    // And after a kill -9 (the WAL is left behind un-checkpointed).
    child!.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    expect(existsSync(join(dir, 'relay.sqlite-wal'))).toBe(true);
    expect(scanForPlaintexts([dir], [CHINESE, PHONE, GROUP_NAME, FILE_TEXT])).toEqual([]);
  });

  it.skipIf(unavailable.postgres !== null)('on PostgreSQL: no plaintext in any row of any table, the blobs or the log; planted controls are found', async () => {
    schema = await freshSchema();
    const relay = await startRelayChild(pgDir, { RELAY_STORE: 'postgres', RELAY_DATABASE_URL: schema.url, RELAY_PG_POOL_SIZE: '2' });
    await pushPlaintexts(relay);
    child!.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    expect(readdirSync(pgDir).some((f) => f.includes('sqlite'))).toBe(false);
    await dumpSchema(schema.url, schema.schema, pgDir);
    const found = scanForPlaintexts([pgDir], [CONTROL]);
    expect(found.some((f) => f.file.endsWith('messages.dump'))).toBe(true);
    expect(found.some((f) => f.file.includes('blobs'))).toBe(true);
    expect(scanForPlaintexts([pgDir], [CHINESE, PHONE, GROUP_NAME, FILE_TEXT, '第一人民医院', '王秀英', '乳腺癌病友'])).toEqual([]);
  });
});
