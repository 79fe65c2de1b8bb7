// The first path through the SDK: account, create, invite by member ID, join from the
// welcome, chat both ways, catch-up of an offline member, restart from the store.
import { afterEach, describe, expect, it } from 'vitest';
import { hex, startWorld, until, type World } from './helpers';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('ChatClient over a real relay', () => {
  it('creates a group, invites by member ID, the invitee joins from its welcome and both chat', async () => {
    world = await startWorld();
    const alice = await world.add('alice');
    const bob = await world.add('bob');
    const g = await alice.client.createGroup({ name: '家长群', announcement: '周五开会' });
    expect(alice.client.group(g)?.info?.name).toBe('家长群');
    expect(alice.client.group(g)?.role).toBe('owner');

    await alice.client.invite(g, bob.client.memberId);
    await bob.client.waitForGroup(g, 10_000);
    const bobView = bob.client.group(g)!;
    expect(bobView.status).toBe('active');
    expect(bobView.info?.name).toBe('家长群');
    expect(bobView.members.map((m) => hex(m.memberId)).sort()).toEqual([alice.client.memberIdHex, bob.client.memberIdHex].sort());
    expect(bob.events.membership?.some((e) => e.kind === 'joined')).toBe(true);

    const sent = await alice.client.sendPlaintext(g, '你好 Bob 👋');
    expect(sent.seq).toBeGreaterThan(0);
    await until('bob reads alice', () => bob.texts(g).includes('你好 Bob 👋'));
    await bob.client.sendPlaintext(g, 'hi alice');
    await until('alice reads bob', () => alice.texts(g).includes('hi alice'));
    const fromBob = alice.received.find((m) => hex(m.sender) === bob.client.memberIdHex)!;
    expect(fromBob.epoch).toBe(bobView.epoch);
    expect(alice.client.safetyNumber(bob.client.memberId)).toBe(bob.client.safetyNumber(alice.client.memberId));
    expect(alice.events.alarm).toEqual([]);
    expect(bob.events.alarm).toEqual([]);
  });

  it('an offline member catches up entries and messages in order, and a restarted client resumes from its store', async () => {
    world = await startWorld();
    const alice = await world.add('alice');
    const bob = await world.add('bob');
    const carol = await world.add('carol');
    const g = await alice.client.createGroup({ name: 'team' });
    await alice.client.invite(g, bob.client.memberId);
    await bob.client.waitForGroup(g);
    await alice.client.sendPlaintext(g, 'one');
    await until('bob got one', () => bob.texts(g).includes('one'));

    // Bob goes offline; meanwhile messages, an add and a rename happen.
    const bobDir = bob.dir;
    await world.stop(bob);
    await alice.client.sendPlaintext(g, 'two');
    await alice.client.invite(g, carol.client.memberId);
    await carol.client.waitForGroup(g);
    await alice.client.sendPlaintext(g, 'three');
    await carol.client.sendPlaintext(g, 'four');
    await alice.client.setInfo(g, { name: 'team 2' });
    await alice.client.sendPlaintext(g, 'five');

    const bob2 = await world.add('bob', { dir: bobDir });
    await until('bob caught up', () => bob2.texts(g).includes('five'));
    expect(bob2.texts(g)).toEqual(['two', 'three', 'four', 'five']);
    expect(bob2.client.group(g)?.info?.name).toBe('team 2');
    expect(bob2.client.group(g)?.epoch).toBe(alice.client.group(g)?.epoch);
    await bob2.client.sendPlaintext(g, 'back');
    await until('alice and carol read bob', () => alice.texts(g).includes('back') && carol.texts(g).includes('back'));
    expect(bob2.events.gap).toEqual([]);
    expect(bob2.events.alarm).toEqual([]);

    // The user's own chat list (pin, notification mute, remark, block) persists across a restart too.
    await bob2.client.pin(g, true);
    await bob2.client.muteNotifications(g, true);
    await bob2.client.setRemark(g, '工作群');
    await bob2.client.block(carol.client.memberId, true);
    await world.stop(bob2);
    const bob3 = await world.add('bob', { dir: bobDir });
    const chat = bob3.client.group(g)!.chat!;
    expect([chat.pinned, chat.muted, chat.remark]).toEqual([true, true, '工作群']);
    expect(bob3.client.history.isBlocked(carol.client.memberIdHex)).toBe(true);
    expect(bob3.client.group(g)!.status).toBe('active');
  });

  it("catch-up reads every message in the epoch it was sent in: a kicked member's last words, and messages across many epochs", async () => {
    world = await startWorld();
    const alice = await world.add('alice');
    const bob = await world.add('bob');
    const carol = await world.add('carol');
    const g = await alice.client.createGroup({ name: 'epochs' });
    for (const m of [bob, carol]) {
      await alice.client.invite(g, m.client.memberId);
      await m.client.waitForGroup(g);
    }
    await until('carol current', () => carol.client.group(g)!.epoch === alice.client.group(g)!.epoch);
    const bobDir = bob.dir;
    await world.stop(bob);
    await carol.client.sendPlaintext(g, 'last words');
    await until('alice read carol', () => alice.texts(g).includes('last words'));
    await alice.client.kick(g, carol.client.memberId);
    // More epochs than a receiver keeps (MAX_PREVIOUS_EPOCHS = 3), each with a message.
    for (let i = 0; i < 5; i++) {
      await alice.client.setInfo(g, { announcement: `notice ${i}` });
      await alice.client.sendPlaintext(g, `e${i}`);
    }
    const bob2 = await world.add('bob', { dir: bobDir });
    await until('bob caught up', () => bob2.texts(g).includes('e4'));
    expect(bob2.texts(g)).toEqual(['last words', 'e0', 'e1', 'e2', 'e3', 'e4']);
    expect(bob2.events.alarm).toEqual([]);
    expect(bob2.client.group(g)!.info?.announcement).toBe('notice 4');
  });

  it('a burst of concurrent sends: each message once, relayed in call order, all arrive', async () => {
    world = await startWorld();
    const alice = await world.add('alice');
    const bob = await world.add('bob');
    const g = await alice.client.createGroup({ name: 'burst' });
    await alice.client.invite(g, bob.client.memberId);
    await bob.client.waitForGroup(g);
    const texts = Array.from({ length: 30 }, (_, i) => `burst ${i}`);
    const sent = await Promise.all(texts.map((t) => alice.client.sendPlaintext(g, t)));
    expect(new Set(sent.map((x) => x.seq)).size).toBe(30);
    await until('bob has all', () => bob.texts(g).length === 30);
    expect([...bob.texts(g)].sort()).toEqual([...texts].sort());
    // Relay order is send order: the burst left in call order.
    const bySeq = [...sent.map((x, i) => ({ seq: x.seq, t: texts[i]! }))].sort((a, b) => a.seq - b.seq).map((x) => x.t);
    expect(bySeq).toEqual(texts);
    expect(bob.events.alarm).toEqual([]);
  });
});

