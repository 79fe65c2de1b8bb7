// Membership actions through real clients and a real relay: what every member sees.
import { afterEach, describe, expect, it } from 'vitest';
import { isE2eeError } from '../../crypto/src/errors';
import { decryptGroupMessage } from '../../crypto/src/message/decrypt';
import { groupKey, decodeReceiverRecord, decodeSenderRecord } from '../src/sdk/group-records';
import { encryptGroupMessage } from '../../crypto/src/message/encrypt';
import { codeOf, hex, p, startWorld, until, type Member, type World } from './helpers';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** alice (owner) creates a group and adds everyone else; all active. */
async function groupOf(names: string[], policy = {}): Promise<{ g: Uint8Array; all: Member[] }> {
  world = await startWorld();
  const all: Member[] = [];
  for (const n of names) all.push(await world.add(n));
  const [owner, ...rest] = all as [Member, ...Member[]];
  const g = await owner.client.createGroup({ name: 'g', policy });
  for (const m of rest) {
    await owner.client.invite(g, m.client.memberId);
    await m.client.waitForGroup(g);
  }
  const epoch = owner.client.group(g)!.epoch;
  for (const m of rest) await until(`${m.name} at epoch ${epoch}`, () => m.client.group(g)?.epoch === epoch);
  return { g, all };
}

describe('membership through the SDK', () => {
  it('kick: the kicked member gets REMOVED, stops receiving, and its old keys open nothing sent after', async () => {
    const { g, all } = await groupOf(['alice', 'bob', 'carol']);
    const [alice, bob, carol] = all as [Member, Member, Member];
    await alice.client.sendPlaintext(g, 'before');
    await until('all read before', () => bob.texts(g).includes('before') && carol.texts(g).includes('before'));
    await carol.client.idle(g);
    const carolRecv = decodeReceiverRecord((await carol.store.get(groupKey(hex(g), 'recv')))!).state!;

    await alice.client.kick(g, carol.client.memberId);
    await until('carol removed', () => carol.client.group(g)?.status === 'removed');
    // The event follows the state (the engine persists in between): wait for it as well.
    await until('carol gets the removed event', () => carol.events.status?.some((e) => e.status === 'removed') ?? false);
    expect(carol.events.status?.some((e) => e.status === 'removed')).toBe(true);
    await until('bob sees the removal', () => bob.events.membership?.some((e) => e.kind === 'removed' && hex(e.members[0]!) === carol.client.memberIdHex) ?? false);
    expect(bob.client.group(g)!.members.map((m) => hex(m.memberId))).not.toContain(carol.client.memberIdHex);

    await alice.client.sendPlaintext(g, 'after');
    await bob.client.sendPlaintext(g, 'after 2');
    await until('bob and alice read', () => bob.texts(g).includes('after') && alice.texts(g).includes('after 2'));
    expect(carol.texts(g)).toEqual(['before']);
    expect(await codeOf(carol.client.sendPlaintext(g, 'still here?'))).toBe('E2E_ERR_SDK_NOT_ACTIVE');

    // The ciphertexts sent after the kick (fetched as bob, a member) do not open with what carol kept.
    const page = await bob.client.relay.api.fetchMessages(g, 0, 100);
    const later = page.items.filter((m) => m.epoch > carolRecv.epochs[0]!.epoch);
    expect(later.length).toBe(2);
    for (const m of later) {
      let code = 'ok';
      try {
        decryptGroupMessage(p, carolRecv, m.ciphertext);
      } catch (e) {
        code = isE2eeError(e) ? e.code : 'other';
      }
      expect(code).toBe('E2E_ERR_UNKNOWN_EPOCH');
    }
    // And the relay no longer serves her.
    expect(await codeOf(carol.client.relay.api.fetchMessages(g, 0, 10))).toBe('E2E_ERR_RELAY_NOT_MEMBER');
  });

  it('leave: the leaver is cut off, another member commits the removal automatically, sends continue', async () => {
    const { g, all } = await groupOf(['alice', 'bob', 'carol']);
    const [alice, bob, carol] = all as [Member, Member, Member];
    const epochBefore = alice.client.group(g)!.epoch;
    await bob.client.leave(g);
    expect(bob.client.group(g)?.status).toBe('left');
    await until('removal committed and seen by alice and carol', () =>
      [alice, carol].every((m) => m.events.membership?.some((e) => e.kind === 'removed' && hex(e.members[0]!) === bob.client.memberIdHex)),
    );
    expect(alice.client.group(g)!.members.map((x) => hex(x.memberId))).not.toContain(bob.client.memberIdHex);
    expect(alice.client.group(g)!.epoch).toBe(epochBefore + 2);
    expect(carol.client.group(g)!.epoch).toBe(epochBefore + 2);
    for (const m of [alice, carol]) {
      expect(m.events.membership?.some((e) => e.kind === 'leave-requested')).toBe(true);
      expect(m.events.membership?.some((e) => e.kind === 'removed' && hex(e.members[0]!) === bob.client.memberIdHex)).toBe(true);
    }
    await carol.client.sendPlaintext(g, 'bye bob');
    await until('alice reads carol', () => alice.texts(g).includes('bye bob'));
    expect(bob.texts(g)).not.toContain('bye bob');
  });

  it('a send during a pending leave waits for the removal commit, then goes out in the new epoch', async () => {
    const { g, all } = await groupOf(['alice', 'bob', 'carol']);
    const [alice, bob, carol] = all as [Member, Member, Member];
    // Nobody commits the removal on their own for a while: the send must trigger it.
    for (const m of [alice, carol]) (m.client.groupEngine as unknown as { opts: { autoCommitJitterMs: number } }).opts.autoCommitJitterMs = 60_000;
    const before = alice.client.group(g)!.epoch;
    await bob.client.leave(g);
    await until('alice sees the request', () => alice.client.group(g)!.members.some((m) => m.leaveRequested));
    expect(alice.client.group(g)!.canSend).toBe(false);
    const sent = await alice.client.sendPlaintext(g, 'after leave');
    expect(sent.epoch).toBe(before + 2);
    await until('carol reads it', () => carol.texts(g).includes('after leave'));
  });

  it('the owner cannot leave before transferring ownership; after the transfer it can', async () => {
    const { g, all } = await groupOf(['alice', 'bob']);
    const [alice, bob] = all as [Member, Member];
    expect(await codeOf(alice.client.leave(g))).toBe('E2E_ERR_OWNER_CANNOT_LEAVE');
    expect(alice.client.group(g)?.status).toBe('active');
    await alice.client.transferOwnership(g, bob.client.memberId);
    await until('bob is owner', () => bob.client.group(g)?.role === 'owner');
    expect(alice.client.group(g)?.role).toBe('admin');
    await alice.client.leave(g);
    await until('alice removed by bob', () => bob.client.group(g)!.members.length === 1);
    expect(alice.client.group(g)?.status).toBe('left');
  });

  it('dissolve: every member sees the group dissolved and nobody can send', async () => {
    const { g, all } = await groupOf(['alice', 'bob']);
    const [alice, bob] = all as [Member, Member];
    expect(await codeOf(bob.client.dissolve(g))).toBe('E2E_ERR_UNAUTHORISED');
    await alice.client.dissolve(g);
    await until('bob sees it', () => bob.events.status?.some((e) => e.status === 'dissolved') ?? false);
    expect(bob.client.group(g)?.status).toBe('dissolved');
    expect(alice.client.group(g)?.status).toBe('dissolved');
    expect(await codeOf(bob.client.sendPlaintext(g, 'x'))).toBe('E2E_ERR_SDK_NOT_ACTIVE');
    expect(bob.events.membership?.some((e) => e.kind === 'dissolved')).toBe(true);
  });

  it('roles, info and mutes: admins edit info, members may not; a muted member is refused by its client, the relay and the receivers', async () => {
    const { g, all } = await groupOf(['alice', 'bob', 'carol']);
    const [alice, bob, carol] = all as [Member, Member, Member];
    await alice.client.setRole(g, bob.client.memberId, 'admin');
    await until('bob is admin', () => bob.client.group(g)?.role === 'admin');
    await bob.client.setInfo(g, { name: '新名字', announcement: '公告' });
    await until('carol sees the info', () => carol.client.group(g)?.info?.name === '新名字');
    // The event follows the state (the entry is persisted in between): wait for it as well.
    await until('carol gets the info event', () => carol.events.groupInfo?.at(-1)?.info.name === '新名字');
    expect(carol.events.groupInfo?.at(-1)?.info.announcement).toBe('公告');
    expect(await codeOf(carol.client.setInfo(g, { name: 'mine' }))).toBe('E2E_ERR_SDK_FORBIDDEN');

    await bob.client.muteMember(g, carol.client.memberId, true);
    await until('carol knows she is muted', () => carol.client.group(g)?.canSend === false);
    expect(await codeOf(carol.client.sendPlaintext(g, 'muted?'))).toBe('E2E_ERR_SDK_MUTED');

    // Her client refuses; a modified client would be refused by the relay:
    await carol.client.idle(g);
    const sender = decodeSenderRecord((await carol.store.get(groupKey(hex(g), 'send')))!)!;
    const seed = (await carol.store.get('sdk/device/identity'))!.subarray(1);
    const enc = encryptGroupMessage(p, sender, Uint8Array.of(1, 0x41), { identitySeed: seed });
    const forged = enc.release(enc.nextState);
    expect(await codeOf(carol.client.relay.connection.send(g, carol.client.newClientMessageId(), forged))).toBe('E2E_ERR_RELAY_FORBIDDEN');
    // ... and a relay that forwards it anyway is refused by every receiver.
    const { encodeRelayFrame, FRAME } = await import('../../crypto/src/wire/relay-frames');
    const seq = alice.client.group(g)!.messageSeq + 1000;
    alice.inject(encodeRelayFrame({ type: FRAME.MESSAGE, groupId: g, seq, sender: carol.client.memberId, epoch: sender.epoch, sentAt: Date.now(), ciphertext: forged }));
    await until('alice drops it', () => alice.events.alarm?.some((a) => a.kind === 'forbidden-message' && a.seq === seq) ?? false);
    expect(alice.texts(g)).not.toContain('A');

    // Whole-group mute: members silenced, admins not.
    await alice.client.muteMember(g, carol.client.memberId, false);
    await alice.client.muteGroup(g, true);
    await until('group mute reaches bob and carol', () => carol.client.group(g)?.state.policy.groupMuted === true && bob.client.group(g)?.state.policy.groupMuted === true);
    expect(await codeOf(carol.client.sendPlaintext(g, 'x'))).toBe('E2E_ERR_SDK_MUTED');
    await bob.client.sendPlaintext(g, 'admins still talk');
    await until('carol reads the admin', () => carol.texts(g).includes('admins still talk'));
  });

  it('STALE_EPOCH: a sender that missed a new epoch catches up, re-encrypts and resends', async () => {
    const { g, all } = await groupOf(['alice', 'bob', 'carol']);
    const [alice, bob, carol] = all as [Member, Member, Member];
    const { decodeRelayFrame, FRAME } = await import('../../crypto/src/wire/relay-frames');
    // Bob's link drops live log entries: he will not know about the kick when he sends.
    bob.transformIn = (frame) => (decodeRelayFrame(frame).type === FRAME.LOG_ENTRY ? null : frame);
    const before = bob.client.group(g)!.epoch;
    await alice.client.kick(g, carol.client.memberId);
    await new Promise((r) => setTimeout(r, 200));
    expect(bob.client.group(g)!.epoch).toBe(before);
    const sent = await bob.client.sendPlaintext(g, 'late news');
    expect(sent.epoch).toBe(before + 1);
    expect(bob.client.group(g)!.members.map((m) => hex(m.memberId))).not.toContain(carol.client.memberIdHex);
    await until('alice reads bob', () => alice.texts(g).includes('late news'));
    const metrics = await (await fetch(`${world!.relay.httpUrl}/metrics`)).text();
    expect(Number(/relay_errors_total\{code="STALE_EPOCH"\} (\d+)/.exec(metrics)?.[1] ?? 0)).toBeGreaterThan(0);
  });
});

