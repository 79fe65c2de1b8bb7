// The facade with the messaging layer attached: unread counts per group come from the chat
// list over the history, raised as `unread` events after each received run and on markRead.
import { afterEach, describe, expect, it } from 'vitest';
import { openMessaging } from '../src/sdk/messaging-client';
import { p, startWorld, until, type Member, type World } from './helpers';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function withMessaging(w: World, name: string): Promise<{ m: Member; messaging: Awaited<ReturnType<typeof openMessaging>> }> {
  const m = await w.add(name, { start: false });
  const messaging = await openMessaging(m.client, { store: m.store, primitives: p });
  await m.client.start();
  await m.client.whenReady();
  return { m, messaging };
}

describe('unread counts through the facade', () => {
  it('rise with received messages, fall with markRead, and stay quiet for the sender', async () => {
    world = await startWorld();
    const alice = await withMessaging(world, 'alice');
    const bob = await withMessaging(world, 'bob');
    const g = await alice.m.client.createGroup({ name: 'unread' });
    await alice.m.client.invite(g, bob.m.client.memberId);
    await bob.m.client.waitForGroup(g);
    await alice.messaging.sendText(g, '第一条');
    const last = await alice.messaging.sendText(g, '第二条');
    await until('bob has two unread', () => bob.m.events.unread?.some((e) => e.unread === 2) ?? false);
    expect(bob.m.client.group(g)!.chat!.unread).toBe(2);
    expect(bob.m.events.unread!.at(-1)!.totalUnread).toBe(2);
    await bob.m.client.markRead(g, last.seq);
    expect(bob.m.events.unread!.at(-1)).toMatchObject({ unread: 0, totalUnread: 0 });
    expect(alice.m.client.group(g)!.chat!.unread).toBe(0);
  });
});
