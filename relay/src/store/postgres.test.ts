// The PostgreSQL store under concurrency: two stores (two pools, as two relay instances
// would have) on one fresh schema race for the same group row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshSchema, unavailable, type FreshSchema } from '../../test/helpers/stores';
import { migratePostgres, openPostgresStore, type PostgresStore } from './postgres';
import type { FoldedAppend, SendRecord } from './types';

const bytes = (n: number, len = 32) => new Uint8Array(len).fill(n);
const folded = (epoch: number, served: Uint8Array[], head = bytes(epoch + 100)): FoldedAppend => ({
  publicState: Uint8Array.of(epoch),
  head,
  epoch,
  dissolved: false,
  served,
  envelopes: served.map((m) => ({ recipient: m, envelope: Uint8Array.of(epoch, m[0]!) })),
});

describe.skipIf(unavailable.postgres !== null)('PostgreSQL store', () => {
  let schema: FreshSchema;
  let a: PostgresStore;
  let b: PostgresStore;
  beforeAll(async () => {
    schema = await freshSchema();
    // Two instances starting at once migrate once (advisory lock).
    [a, b] = await Promise.all([openPostgresStore({ url: schema.url, poolSize: 4 }), openPostgresStore({ url: schema.url, poolSize: 4 })]);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await schema?.drop();
  });

  it('runs numbered migrations once, whoever starts first', async () => {
    const r = await a.pool.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(r.rows.map((x) => x.version)).toEqual([1, 2]);
    expect(await migratePostgres(b.pool)).toEqual([]);
  });

  it('two instances committing to one group get gap-free, distinct sequence numbers', async () => {
    const sender = await a.upsertDevice(bytes(1), bytes(11), 1);
    const made = await a.createGroup(bytes(50), Uint8Array.of(0), folded(0, [bytes(1)]), 1);
    expect(made.ok).toBe(true);
    const ref = made.ok ? made.group.ref : 0;
    let n = 0;
    const batch = (): SendRecord[] =>
      Array.from({ length: 10 }, () => {
        n++;
        return { groupRef: ref, senderRef: sender, clientId: Uint8Array.of(n >> 8, n & 255, ...new Uint8Array(14)), epoch: 0, sentAt: 5, body: Uint8Array.of(n & 255) };
      });
    const runs = [];
    for (let i = 0; i < 12; i++) runs.push((i % 2 ? a : b).commitSends(batch()));
    const seqs = (await Promise.all(runs)).flat().map((r) => r.seq);
    expect([...seqs].sort((x, y) => x - y)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect((await b.loadGroupByRef(ref))?.lastSeq).toBe(120);
    expect((await a.readMessages(ref, 0, 500)).map((m) => m.seq)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
  });

  it('a retry through another instance returns the original sequence number; another group is a conflict', async () => {
    const sender = await a.upsertDevice(bytes(2), bytes(12), 1);
    const g1 = await a.createGroup(bytes(51), Uint8Array.of(0), folded(0, [bytes(2)]), 1);
    const g2 = await a.createGroup(bytes(52), Uint8Array.of(0), folded(0, [bytes(2)]), 1);
    if (!g1.ok || !g2.ok) throw new Error('setup');
    const rec = (groupRef: number): SendRecord => ({ groupRef, senderRef: sender, clientId: bytes(7, 16), epoch: 0, sentAt: 1, body: Uint8Array.of(1) });
    const [x, y] = await Promise.all([a.commitSends([rec(g1.group.ref)]), b.commitSends([rec(g1.group.ref)])]);
    const both = [x[0]!, y[0]!].sort((p, q) => Number(p.duplicate) - Number(q.duplicate));
    expect(both).toEqual([
      { seq: 1, duplicate: false },
      { seq: 1, duplicate: true },
    ]);
    expect(await b.commitSends([rec(g2.group.ref)])).toEqual([{ seq: 0, duplicate: true }]);
    expect((await a.loadGroupByRef(g1.group.ref))?.lastSeq).toBe(1);
  });

  it('compare-and-swap: of two appends on the same head from two instances exactly one wins', async () => {
    const m1 = bytes(3);
    const m2 = bytes(4);
    const made = await a.createGroup(bytes(53), Uint8Array.of(0), folded(0, [m1]), 1);
    if (!made.ok) throw new Error('setup');
    const head0 = made.group.head;
    const outs = await Promise.all(
      [a, b].map((s, i) => s.appendEntry(bytes(53), head0, Uint8Array.of(1, i), () => folded(1, [m1, m2], bytes(200 + i)), 2)),
    );
    expect(outs.filter((o) => o.ok)).toHaveLength(1);
    expect(outs.filter((o) => !o.ok && o.reason === 'head-mismatch')).toHaveLength(1);
    const g = await b.loadGroup(bytes(53));
    expect(g?.logLength).toBe(2);
    const winner = outs.find((o) => o.ok);
    expect(winner?.ok && winner.added.map((x) => x[0])).toEqual([4]);
    // The joiner reads its envelope; a fold that throws writes nothing.
    const log = await a.readLog(g!.ref, -1, 10, m2);
    expect(log.map((l) => [l.index, l.envelope.length])).toEqual([
      [0, 0],
      [1, 2],
    ]);
    await expect(
      a.appendEntry(bytes(53), g!.head, Uint8Array.of(9), () => {
        throw new Error('rejected');
      }, 3),
    ).rejects.toThrow('rejected');
    expect((await a.loadGroup(bytes(53)))?.logLength).toBe(2);
  });

  it('refuses sends in an epoch another instance has replaced (removal), under the group lock', async () => {
    const ref = await a.upsertDevice(bytes(5), bytes(15), 1);
    const made = await a.createGroup(bytes(54), Uint8Array.of(0), folded(0, [bytes(5), bytes(6)]), 1);
    if (!made.ok) throw new Error('setup');
    const moved = await b.appendEntry(bytes(54), made.group.head, Uint8Array.of(1), () => folded(1, [bytes(5)]), 2);
    expect(moved.ok && moved.removed.map((x) => x[0])).toEqual([6]);
    const r = await a.commitSends([{ groupRef: made.group.ref, senderRef: ref, clientId: bytes(1, 16), epoch: 0, sentAt: 3, body: Uint8Array.of(0) }]);
    expect(r).toEqual([{ seq: 0, duplicate: false, staleEpoch: true }]);
    expect(await a.readMessages(made.group.ref, 0, 10)).toEqual([]);
  });

  it('keeps one notification subscription per device, replaced, listed by member ID, deleted', async () => {
    const d1 = await a.upsertDevice(bytes(20), bytes(30), 1);
    const d2 = await a.upsertDevice(bytes(21), bytes(31), 1);
    await a.putNotifySubscription(d1, Uint8Array.of(1), 5);
    await b.putNotifySubscription(d1, Uint8Array.of(2, 2), 6);
    await a.putNotifySubscription(d2, Uint8Array.of(3), 7);
    const subs = await b.notifySubscriptions([bytes(22), bytes(21), bytes(20)]);
    expect(subs.map((x) => [x.memberId[0], [...x.subscription]])).toEqual([
      [21, [3]],
      [20, [2, 2]],
    ]);
    expect(await a.deleteNotifySubscription(d2)).toBe(true);
    expect(await b.deleteNotifySubscription(d2)).toBe(false);
    expect(await a.notifySubscriptions([bytes(21)])).toEqual([]);
    expect(await a.notifySubscriptions([])).toEqual([]);
  });

  it('hands each one-time prekey out once across instances; each swept blob goes to one sweeper', async () => {
    const dev = await a.upsertDevice(bytes(8), bytes(18), 1);
    await a.putPrekeys(dev, Uint8Array.of(1, 2, 3), Array.from({ length: 5 }, (_, id) => ({ id, key: bytes(id) })), 1);
    const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).claimPrekey(bytes(8))));
    const ids = claims.map((c) => c?.oneTime?.id).filter((x) => x !== undefined);
    expect([...ids].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(claims.every((c) => c?.signedPrekey?.length === 3)).toBe(true);
    for (let i = 0; i < 6; i++) await a.putBlobMeta(bytes(i, 16), 1, 10, 100);
    const [s1, s2] = await Promise.all([a.sweep(1000), b.sweep(1000)]);
    expect(s1.blobs.length + s2.blobs.length).toBe(6);
  });
});
