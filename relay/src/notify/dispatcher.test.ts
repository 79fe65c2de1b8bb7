// Who gets a wake-up: the throttle per (member, group), the actor and online members left
// out, bounded memory that fails closed, and failures counted instead of thrown.
import { describe, expect, it } from 'vitest';
import { NotifyDispatcher } from './dispatcher';
import type { Notification, Notifier } from './types';

const hex = (n: number) => n.toString(16).padStart(64, '0');
const G1 = Uint8Array.of(1);
const G2 = Uint8Array.of(2);

function setup(opts: { subscribed?: number[]; online?: number[]; maxTracked?: number; failStore?: boolean; failNotify?: boolean } = {}) {
  let now = 1_000_000;
  const sent: Notification[] = [];
  const lookups: number[] = [];
  const subscribed = new Set((opts.subscribed ?? [1, 2, 3, 4, 5]).map(hex));
  const online = new Set((opts.online ?? []).map(hex));
  const notifier: Notifier = {
    name: 'test',
    notify(n) {
      if (opts.failNotify) throw new Error('platform down');
      sent.push(n);
    },
  };
  const d = new NotifyDispatcher({
    notifier,
    store: {
      async notifySubscriptions(ids) {
        lookups.push(ids.length);
        if (opts.failStore) throw new Error('db down');
        return ids.filter((id) => subscribed.has(Buffer.from(id).toString('hex'))).map((memberId) => ({ memberId, subscription: Uint8Array.of(0xaa) }));
      },
    },
    intervalMs: 60_000,
    now: () => now,
    isOnline: (m) => online.has(m),
    ...(opts.maxTracked ? { maxTracked: opts.maxTracked } : {}),
  });
  const who = () => sent.map((n) => Buffer.from(n.memberId).toString('hex')).map((h) => parseInt(h, 16));
  return { d, sent, who, lookups, advance: (ms: number) => (now += ms) };
}

describe('notify dispatcher', () => {
  it('wakes opted-in offline members other than the actor, once per group per interval', async () => {
    const t = setup({ subscribed: [2, 3, 9], online: [3] });
    const members = [1, 2, 3, 4].map(hex);
    t.d.activity({ groupId: G1, members, actorHex: hex(1), kind: 'message' });
    await t.d.settled();
    expect(t.who()).toEqual([2]); // 1 is the actor, 3 is online, 4 did not opt in, 9 is not a member
    expect(t.sent[0]).toMatchObject({ kind: 'message', groupId: G1, subscription: Uint8Array.of(0xaa) });

    // More activity in the same group within the interval: nothing, and no store lookup.
    const before = t.lookups.length;
    for (let i = 0; i < 10; i++) t.d.activity({ groupId: G1, members, actorHex: hex(1), kind: 'message' });
    await t.d.settled();
    expect(t.who()).toEqual([2]);
    expect(t.lookups.length).toBe(before);

    // Another group is throttled separately; after the interval the first wakes again.
    t.d.activity({ groupId: G2, members, kind: 'membership' });
    t.advance(60_000);
    t.d.activity({ groupId: G1, members, actorHex: hex(4), kind: 'message' });
    await t.d.settled();
    expect(t.who()).toEqual([2, 2, 2]);
    expect(t.sent.map((n) => [n.groupId![0], n.kind])).toEqual([
      [1, 'message'],
      [2, 'membership'],
      [1, 'message'],
    ]);
  });

  it('memory is bounded: expired pairs are evicted, live ones are kept and new wake-ups dropped', async () => {
    const t = setup({ subscribed: [1, 2, 3, 4, 5, 6], maxTracked: 3 });
    t.d.activity({ groupId: G1, members: [1, 2, 3].map(hex), kind: 'message' });
    t.d.activity({ groupId: G1, members: [4, 5].map(hex), kind: 'message' });
    await t.d.settled();
    expect(t.who()).toEqual([1, 2, 3]);
    expect(t.d.tracked).toBe(3);
    expect(t.d.stats.dropped).toBe(2);
    // Once the tracked pairs expire they make room.
    t.advance(60_000);
    t.d.activity({ groupId: G1, members: [4, 5].map(hex), kind: 'message' });
    await t.d.settled();
    expect(t.who()).toEqual([1, 2, 3, 4, 5]);
    expect(t.d.tracked).toBeLessThanOrEqual(3);
  });

  it('counts store and notifier failures and never throws into the send path', async () => {
    const a = setup({ failStore: true });
    expect(() => a.d.activity({ groupId: G1, members: [1, 2].map(hex), kind: 'message' })).not.toThrow();
    await a.d.settled();
    expect(a.d.stats).toEqual({ sent: 0, failed: 2, dropped: 0 });
    const b = setup({ failNotify: true });
    b.d.activity({ groupId: G1, members: [1, 2].map(hex), kind: 'message' });
    await b.d.settled();
    expect(b.d.stats).toEqual({ sent: 0, failed: 2, dropped: 0 });
  });

  it('refuses a non-positive interval', () => {
    expect(
      () => new NotifyDispatcher({ notifier: { name: 'x', notify() {} }, store: { notifySubscriptions: async () => [] }, intervalMs: 0, now: () => 0, isOnline: () => false }),
    ).toThrow(RangeError);
  });
});
