// Graceful shutdown: sockets are closed with 1001, writes finish, cursors are saved and (on
// SQLite) the WAL is checkpointed into the main file. Runs on both stores.
import Database from 'better-sqlite3';
import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeRandom } from '../../crypto/src/primitives/random';
import { loadDefaultPrimitives } from '../../crypto/src/primitives/select';
import { CLOSE, FRAME } from '../../crypto/src/wire/relay-frames';
import { append, login, WsClient } from './helpers/client';
import { buildAdd, buildCreate, fakeGroupMessage, makeDevice, senderIndexOf } from './helpers/log';
import { startTestRelay } from './helpers/relay';
import { TEST_STORES } from './helpers/stores';
import pg from 'pg';

describe.each(TEST_STORES)('graceful shutdown (%s store)', (kind) => {
  it('closes sockets with 1001, keeps every acknowledged message and cursor, checkpoints the WAL', async () => {
    const p = await loadDefaultPrimitives(nodeRandom);
    const relay = await startTestRelay({ store: kind, synchronous: 'FULL' });
    const a = makeDevice(p);
    const b = makeDevice(p);
    const at = (await login(relay.httpUrl, p, a)).token;
    const bt = (await login(relay.httpUrl, p, b)).token;
    const c = buildCreate(p, a);
    await append(relay.httpUrl, at, null, new Uint8Array(32), c.entry, []);
    const add = buildAdd(p, a, c.state, [b]);
    await append(relay.httpUrl, at, c.state.groupId, c.state.headHash, add.entry, add.envelopes);
    const gid = c.state.groupId;
    const wa = await WsClient.connect(relay.wsUrl, at);
    const wb = await WsClient.connect(relay.wsUrl, bt);
    await wb.waitFor((f) => f.type === FRAME.CAUGHT_UP);
    for (let i = 0; i < 20; i++) wa.send({ type: FRAME.SEND, clientMessageId: p.randomBytes(16), groupId: gid, ciphertext: fakeGroupMessage(gid, add.state.epoch, i, 256, senderIndexOf(add.state, a.memberId)) });
    await wa.waitCount((f) => f.type === FRAME.SEND_OK, 20);
    await wb.waitCount((f) => f.type === FRAME.MESSAGE, 20);
    wb.send({ type: FRAME.ACK, groupId: gid, seq: 20 });
    await new Promise((r) => setTimeout(r, 50));
    await relay.close();
    expect(await wa.waitClose()).toBe(CLOSE.GOING_AWAY);
    expect(await wb.waitClose()).toBe(CLOSE.GOING_AWAY);
    if (kind === 'postgres') {
      const c = new pg.Client({ connectionString: relay.schema!.url });
      await c.connect();
      try {
        expect((await c.query('SELECT count(*)::int AS n FROM messages')).rows[0].n).toBe(20);
        expect((await c.query('SELECT acked_seq::int AS s FROM cursors')).rows.map((r) => r.s)).toEqual([20]);
      } finally {
        await c.end();
      }
      await relay.cleanup();
      return;
    }
    // Checkpointed and closed: SQLite removes the WAL file (or leaves it empty).
    const wal = join(relay.dataDir, 'relay.sqlite-wal');
    expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0);
    const db = new Database(join(relay.dataDir, 'relay.sqlite'), { readonly: true });
    expect(db.prepare('SELECT count(*) FROM messages').pluck().get()).toBe(20);
    expect(db.prepare('SELECT acked_seq FROM cursors').pluck().all()).toEqual([20]);
    db.close();
    rmSync(relay.dataDir, { recursive: true, force: true });
  });
});
