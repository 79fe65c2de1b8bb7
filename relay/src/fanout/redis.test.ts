// Redis fan-out against a real Redis (skipped with a printed reason when none answers;
// CI=true fails instead): delivery to the others only, repair after a lost publisher or a
// lost subscription, junk on the channel.
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { freshChannel, TEST_REDIS_URL, unavailable } from '../../test/helpers/stores';
import { RedisFanout } from './redis';
import type { FanoutEvent } from './types';

const open: RedisFanout[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((f) => f.close()));
});

async function pair(channel = freshChannel()) {
  const a = new RedisFanout({ url: TEST_REDIS_URL, channel });
  const b = new RedisFanout({ url: TEST_REDIS_URL, channel });
  open.push(a, b);
  await Promise.all([a.start(), b.start()]);
  const got: { a: FanoutEvent[]; b: FanoutEvent[] } = { a: [], b: [] };
  a.onEvent((e) => got.a.push(e));
  b.onEvent((e) => got.b.push(e));
  return { a, b, got, channel };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Closes the named connections of one deployment on the server side (as a network cut would). */
async function killConnections(name: string): Promise<number> {
  const r = new Redis(TEST_REDIS_URL);
  try {
    const ids = String(await r.client('LIST'))
      .split('\n')
      .filter((l) => l.includes(`name=${name} `))
      .map((l) => /id=(\d+)/.exec(l)![1]!);
    for (const id of ids) await r.client('KILL', 'ID', id);
    return ids.length;
  } finally {
    r.disconnect();
  }
}

describe.skipIf(unavailable.redis !== null)('Redis fan-out', () => {
  it('delivers an instance\'s events to the others, in publish order, never back to itself', async () => {
    const { a, got } = await pair();
    for (let seq = 1; seq <= 50; seq++) {
      a.publish({ kind: 'message', groupRef: 7, groupId: Uint8Array.of(1, 2), seq, sender: Uint8Array.of(3), epoch: 1, sentAt: seq, body: Uint8Array.of(seq) });
    }
    a.publish({ kind: 'log', groupRef: 7, groupId: Uint8Array.of(1, 2), index: 3, added: [Uint8Array.of(9)], removed: [] });
    await until(() => got.b.length === 51);
    expect(got.b.slice(0, 50).map((e) => (e.kind === 'message' ? e.seq : -1))).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(got.b[50]).toMatchObject({ kind: 'log', index: 3 });
    await new Promise((r) => setTimeout(r, 50));
    expect(got.a).toEqual([]);
  });

  it('events published while the publisher is cut off come back as one head notice per group', async () => {
    const { a, got, channel } = await pair();
    expect(await killConnections(`${channel}:pub`)).toBe(2);
    // While the publisher is down (it reconnects after 50 ms), events are remembered, not queued.
    await until(() => !a.publisherReady, 2000);
    a.publish({ kind: 'message', groupRef: 4, groupId: Uint8Array.of(1), seq: 11, sender: Uint8Array.of(2), epoch: 0, sentAt: 1, body: Uint8Array.of(0) });
    a.publish({ kind: 'message', groupRef: 4, groupId: Uint8Array.of(1), seq: 12, sender: Uint8Array.of(2), epoch: 0, sentAt: 1, body: Uint8Array.of(0) });
    a.publish({ kind: 'log', groupRef: 5, groupId: Uint8Array.of(1), index: 6, added: [], removed: [] });
    expect(a.dirtyGroups).toBe(2);
    await until(() => got.b.some((e) => e.kind === 'head' && e.groupRef === 4) && got.b.some((e) => e.kind === 'head' && e.groupRef === 5));
    expect(got.b.find((e) => e.kind === 'head' && e.groupRef === 4)).toMatchObject({ lastSeq: 12 });
    expect(got.b.find((e) => e.kind === 'head' && e.groupRef === 5)).toMatchObject({ logLength: 7 });
    expect(a.dirtyGroups).toBe(0);
  });

  it('a lost subscription resubscribes, then asks for catch-up; events flow again', async () => {
    const { a, b, got, channel } = await pair();
    let resubscribed = 0;
    b.onResubscribe(() => resubscribed++);
    await killConnections(`${channel}:sub`);
    await until(() => resubscribed > 0);
    a.publish({ kind: 'join-request', groupRef: 1, groupId: Uint8Array.of(8), requestId: 2 });
    await until(() => got.b.length === 1);
    expect(got.b[0]).toEqual({ kind: 'join-request', groupRef: 1, groupId: Uint8Array.of(8), requestId: 2 });
  });

  it('ignores junk on the channel (counted), and keeps working', async () => {
    const { a, b, got, channel } = await pair();
    const r = new Redis(TEST_REDIS_URL);
    try {
      await r.publish(channel, Buffer.from('not an event'));
      await r.publish(channel, Buffer.alloc(40, 0xff));
    } finally {
      r.disconnect();
    }
    a.publish({ kind: 'head', groupRef: 1, groupId: Uint8Array.of(8), lastSeq: 2, logLength: 3 });
    await until(() => got.b.length === 1);
    expect(b.malformed).toBe(2);
  });

  it('refuses a bad URL or channel at construction', () => {
    expect(() => new RedisFanout({ url: 'http://x', channel: 'c' })).toThrow(RangeError);
    expect(() => new RedisFanout({ url: TEST_REDIS_URL, channel: '' })).toThrow(RangeError);
  });
});
