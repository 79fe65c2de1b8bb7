// Durability of live messages (docs/CLIENT-SDK.md "Durability contract"): a message is
// shown (the messaging 'message' event, history add) before the receiver record (cursor
// and chains) is written and the ACK sent; those follow coalesced within persistDelayMs.
// A crash in between loses nothing and shows nothing twice: the relay redelivers from the
// last persisted cursor and the history keeps the message once.
import { afterEach, describe, expect, it } from 'vitest';
import { bytesToHex } from '../../../crypto/src/bytes';
import type { EngineOptions } from './group-engine';
import { decodeReceiverRecord, groupKey } from './group-records';
import type { Messaging, MessagingEvents } from './messaging';
import { openMessaging } from './messaging-client';
import type { LocalStore } from '../store/types';
import { p, startWorld, until, type Member, type World } from '../../test/helpers';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

interface Chatter extends Member {
  m: Messaging;
  shown: MessagingEvents['message'][];
  dropped: MessagingEvents['dropped'][];
}

async function join(w: World, name: string, opts: { dir?: string; engine?: EngineOptions; wrapStore?: (s: LocalStore) => LocalStore } = {}): Promise<Chatter> {
  const member = await w.add(name, { ...opts, start: false });
  const m = await openMessaging(member.client, { primitives: p, store: opts.wrapStore ? opts.wrapStore(member.store) : member.store });
  const shown: Chatter['shown'] = [];
  const dropped: Chatter['dropped'] = [];
  m.on('message', (e) => shown.push(e));
  m.on('dropped', (e) => dropped.push(e));
  await member.client.start();
  await member.client.whenReady(10_000);
  return Object.assign(member, { m, shown, dropped });
}

async function savedSeq(c: Chatter, g: string): Promise<number> {
  const b = await c.store.get(groupKey(g, 'recv'));
  return b ? decodeReceiverRecord(b).messageSeq : 0;
}

describe('live messages: shown before persisted, ACKed after', () => {
  it('the receiver record follows the event within the delay, and idle() writes it at once', async () => {
    world = await startWorld();
    const alice = await join(world, 'alice');
    const bob = await join(world, 'bob', { engine: { persistDelayMs: 60_000 } });
    const carol = await join(world, 'carol');
    const g = bytesToHex(await alice.client.createGroup({ name: 'delay' }));
    for (const c of [bob, carol]) {
      await alice.client.invite(g, c.client.memberId);
      await c.client.waitForGroup(g, 10_000);
      await c.client.idle(g);
    }
    const sent = await alice.m.sendText(g, 'hello 1');
    await until('bob shows it', () => bob.shown.some((e) => e.message.messageId === sent.messageId));
    await until('carol shows it', () => carol.shown.some((e) => e.message.messageId === sent.messageId));
    // Shown and in the history, but bob's cursor (60 s delay) is not written yet.
    expect(bob.client.history.get(g, sent.messageId)).toBeDefined();
    expect(await savedSeq(bob, g)).toBeLessThan(sent.seq);
    // carol (default delay, 100 ms) writes it soon without anyone asking.
    await until('carol persisted the cursor', async () => (await savedSeq(carol, g)) >= sent.seq, 5_000);
    // idle() means persisted.
    await bob.client.idle(g);
    expect(await savedSeq(bob, g)).toBeGreaterThanOrEqual(sent.seq);
  });

  it('a crash after the event and before the record write redelivers; the history holds the message once', async () => {
    world = await startWorld();
    const alice = await join(world, 'alice');
    const bob = await join(world, 'bob', { engine: { persistDelayMs: 60_000 } });
    const g = bytesToHex(await alice.client.createGroup({ name: 'crash' }));
    await alice.client.invite(g, bob.client.memberId);
    await bob.client.waitForGroup(g, 10_000);
    await bob.client.idle(g);
    const before = await savedSeq(bob, g);

    const sent = await alice.m.sendText(g, '崩溃前的消息 before the crash');
    await until('bob shows it', () => bob.shown.some((e) => e.message.messageId === sent.messageId));
    expect(await savedSeq(bob, g)).toBe(before);
    // "The crash": bob's files as they are now (history written, receiver record not).
    const crashed = world.crashCopy(bob);
    await world.stop(bob);

    const bob2 = await join(world, 'bob', { dir: crashed });
    expect(await savedSeq(bob2, g)).toBe(before);
    await until('redelivered and recognised', () => bob2.dropped.some((d) => d.seq === sent.seq && d.reason === 'duplicate'));
    const after = await alice.m.sendText(g, 'after the crash');
    await until('bob2 shows the next one', () => bob2.shown.some((e) => e.message.messageId === after.messageId));
    // Shown once (before the crash), never again; stored once.
    expect(bob2.shown.some((e) => e.message.messageId === sent.messageId)).toBe(false);
    const ids = bob2.client.history.page(g, { limit: 100 }).messages.map((m) => m.messageId);
    expect(ids.filter((id) => id === sent.messageId)).toHaveLength(1);
    expect(ids).toContain(after.messageId);
    await bob2.client.idle(g);
    expect(await savedSeq(bob2, g)).toBeGreaterThanOrEqual(after.seq);
  });

  it('a record write held by a slow disk does not hold up the next message; the ACK follows the write and names its cursor', async () => {
    world = await startWorld();
    const alice = await join(world, 'alice');
    // bob's receiver-record writes wait for `disk` while `slow` is set.
    let slow = false;
    let releaseDisk: () => void = () => undefined;
    const held: string[] = [];
    const slowRecords = (store: LocalStore): LocalStore => ({
      ...store,
      kind: store.kind,
      get: (k) => store.get(k),
      put: async (k, v) => {
        if (slow && k.endsWith('/recv')) {
          held.push(k);
          await new Promise<void>((resolve) => (releaseDisk = resolve));
        }
        return store.put(k, v);
      },
    });
    const bob = await join(world, 'bob', { engine: { persistDelayMs: 40 }, wrapStore: slowRecords });
    const g = bytesToHex(await alice.client.createGroup({ name: 'slow disk' }));
    await alice.client.invite(g, bob.client.memberId);
    await bob.client.waitForGroup(g, 10_000);
    await bob.client.idle(g);
    const acks: number[] = [];
    const conn = bob.client.relay.connection;
    const ack = conn.ack.bind(conn);
    conn.ack = (groupId, seq) => {
      acks.push(seq);
      ack(groupId, seq);
    };

    slow = true;
    const first = await alice.m.sendText(g, '第一条 first');
    await until('bob shows the first', () => bob.shown.some((e) => e.message.messageId === first.messageId));
    await until("bob's record write is on the disk", () => held.length === 1, 5_000);
    // The write of the first message's cursor is held: the second is still shown.
    const second = await alice.m.sendText(g, '第二条 second');
    await until('bob shows the second meanwhile', () => bob.shown.some((e) => e.message.messageId === second.messageId));
    expect(held).toHaveLength(1);
    expect(acks).toEqual([]); // nothing is acknowledged before it is written
    expect(await savedSeq(bob, g)).toBeLessThan(first.seq);

    slow = false;
    releaseDisk();
    // The held write was taken after the first message: its ACK says so, not the second's.
    await until('the held write is acknowledged', () => acks.length > 0, 5_000);
    expect(acks[0]).toBe(first.seq);
    await bob.client.idle(g);
    expect(await savedSeq(bob, g)).toBe(second.seq);
    await until('the second is acknowledged', () => acks.includes(second.seq), 5_000);
    expect(bob.shown.map((e) => e.message.messageId)).toEqual([first.messageId, second.messageId]);
  });
});
