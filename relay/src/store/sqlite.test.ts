import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, openSqliteStore } from './sqlite';

const dir = mkdtempSync(join(tmpdir(), 'relay-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SQLite store', () => {
  it('runs numbered migrations once, in WAL mode with the configured synchronous level', async () => {
    const file = join(dir, 'a.sqlite');
    const s1 = openSqliteStore({ file, synchronous: 'FULL' });
    expect(s1.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(s1.db.pragma('synchronous', { simple: true })).toBe(2);
    await s1.close();
    const db = new Database(file);
    expect(migrate(db)).toEqual([]);
    expect(db.prepare('SELECT version FROM schema_migrations').pluck().all()).toEqual([1, 2]);
    db.close();
  });

  it('group commit assigns gap-free per-group sequence numbers and returns the original on a retry', async () => {
    const s = openSqliteStore({ file: join(dir, 'b.sqlite'), synchronous: 'NORMAL' });
    const a = await s.upsertDevice(new Uint8Array(32).fill(1), new Uint8Array(32).fill(9), 1);
    const id = (n: number) => Uint8Array.of(n, ...new Uint8Array(15));
    const rec = (g: number, n: number) => ({ groupRef: g, senderRef: a, clientId: id(n), epoch: 0, sentAt: 1, body: Uint8Array.of(n) });
    s.db.exec("INSERT INTO groups (id, group_id, public_state, head, epoch, log_length, created_at) VALUES (1, x'01', x'', x'', 0, 1, 0), (2, x'02', x'', x'', 0, 1, 0)");
    const r = await s.commitSends([rec(1, 1), rec(2, 2), rec(1, 3), rec(1, 1), rec(2, 4)]);
    expect(r).toEqual([
      { seq: 1, duplicate: false },
      { seq: 1, duplicate: false },
      { seq: 2, duplicate: false },
      { seq: 1, duplicate: true },
      { seq: 2, duplicate: false },
    ]);
    // The same client ID from the same sender in another group is a conflict (seq 0).
    expect(await s.commitSends([rec(2, 1)])).toEqual([{ seq: 0, duplicate: true }]);
    expect((await s.readMessages(1, 0, 10)).map((m) => m.seq)).toEqual([1, 2]);
    await s.close();
  });
});
