// Invite links under each join policy, and concurrent commits.
import { afterEach, describe, expect, it } from 'vitest';
import { codeOf, hex, startWorld, until, type Member, type World } from './helpers';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const inOneHour = () => Date.now() + 3_600_000;

describe('invite links', () => {
  it('open: the first online member allowed to invite commits the add automatically', async () => {
    world = await startWorld();
    const alice = await world.add('alice');
    const bob = await world.add('bob');
    const dave = await world.add('dave');
    const g = await alice.client.createGroup({ name: 'open group', policy: { joinPolicy: 'open' } });
    await alice.client.invite(g, bob.client.memberId);
    await bob.client.waitForGroup(g);
    const link = await alice.client.createInviteLink(g, { expiresAt: inOneHour(), maxUses: 5 });
    expect(link.startsWith('wxe2ee-join:1:')).toBe(true);
    // Bob learns the link secret inside the group; with alice offline he admits the joiner.
    await until('bob holds the link', async () => !!(await bob.store.get(`sdk/g/${hex(g)}/links`)));
    await world.stop(alice);
    const r = await dave.client.join(link, { name: '戴夫' });
    expect(hex(r.groupId)).toBe(hex(g));
    await dave.client.waitForGroup(g, 10_000);
    expect(dave.client.group(g)?.info?.name).toBe('open group');
    await dave.client.sendPlaintext(g, 'hello from dave');
    await until('bob reads dave', () => bob.texts(g).includes('hello from dave'));
    const added = bob.events.membership?.find((e) => e.kind === 'added' && hex(e.members[0]!) === dave.client.memberIdHex);
    expect(hex(added!.actor)).toBe(bob.client.memberIdHex);
  });

  it('open: a member kicked right after joining by link is not re-admitted by another member\'s delayed admit (exactly one add)', async () => {
    world = await startWorld();
    const alice = await world.add('alice');
    const bob = await world.add('bob');
    const carol = await world.add('carol');
    const dave = await world.add('dave');
    const g = await alice.client.createGroup({ name: 'open door', policy: { joinPolicy: 'open' } });
    await alice.client.invite(g, bob.client.memberId);
    await alice.client.invite(g, carol.client.memberId);
    await bob.client.waitForGroup(g);
    await carol.client.waitForGroup(g);
    const link = await alice.client.createInviteLink(g, { expiresAt: inOneHour(), maxUses: 5 });
    await until('bob and carol hold the link', async () => !!(await bob.store.get(`sdk/g/${hex(g)}/links`)) && !!(await carol.store.get(`sdk/g/${hex(g)}/links`)));
    // Three clients may admit; each schedules its admit within the jitter window.
    await dave.client.join(link, { name: 'Dave' });
    await dave.client.waitForGroup(g, 10_000);
    await until('alice sees dave', () => alice.client.group(g)!.members.some((m) => hex(m.memberId) === dave.client.memberIdHex));
    await alice.client.kick(g, dave.client.memberId);
    // Past every member's jitter window (1.5 s) and then some: nobody adds dave back.
    await new Promise((r) => setTimeout(r, 2_500));
    await carol.client.sendPlaintext(g, 'after the kick');
    for (const m of [alice, bob]) await until(`${m.name} reads the post-kick message`, () => m.texts(g).includes('after the kick'));
    for (const m of [alice, bob, carol]) {
      expect(m.client.group(g)!.members.map((x) => hex(x.memberId))).not.toContain(dave.client.memberIdHex);
      const adds = (m.events.membership ?? []).filter((e) => e.kind === 'added' && e.members.some((x) => hex(x) === dave.client.memberIdHex));
      expect(adds).toHaveLength(1);
    }
    expect(dave.client.group(g)!.status).toBe('removed');
  });

  it('approval: admins see the request and approve or deny it', async () => {
    world = await startWorld();
    const alice = await world.add('alice');
    const dave = await world.add('dave');
    const erin = await world.add('erin');
    const g = await alice.client.createGroup({ name: 'ask first', policy: { joinPolicy: 'approval' } });
    const link = await alice.client.createInviteLink(g, { expiresAt: inOneHour(), maxUses: 5 });
    const d = await dave.client.join(link, { name: 'Dave' });
    await until('alice sees dave', () => alice.events.joinRequest?.some((e) => e.requestId === d.requestId) ?? false);
    const req = alice.client.joinRequests(g).find((x) => x.requestId === d.requestId)!;
    expect(req.name).toBe('Dave');
    expect(hex(req.memberId)).toBe(dave.client.memberIdHex);
    await alice.client.approve(g, d.requestId);
    await dave.client.waitForGroup(g);

    const e = await erin.client.join(link, { name: 'Erin' });
    await until('alice sees erin', () => alice.events.joinRequest?.some((x) => x.requestId === e.requestId) ?? false);
    await alice.client.deny(g, e.requestId);
    expect(alice.client.joinRequests(g)).toEqual([]);
    expect(await codeOf(alice.client.approve(g, e.requestId))).toBe('E2E_ERR_SDK_UNKNOWN_REQUEST');
    expect(await codeOf(erin.client.waitForGroup(g, 1_000))).toBe('E2E_ERR_SDK_TIMEOUT');
    expect(alice.client.group(g)!.members.map((m) => hex(m.memberId))).not.toContain(erin.client.memberIdHex);
  });

  it('invite-only: no links; a forged or garbled link is refused', async () => {
    world = await startWorld();
    const alice = await world.add('alice');
    const g = await alice.client.createGroup({ name: 'closed' });
    expect(await codeOf(alice.client.createInviteLink(g, { expiresAt: inOneHour(), maxUses: 1 }))).toBe('E2E_ERR_SDK_JOIN_REFUSED');
    expect(await codeOf(alice.client.join('wxe2ee-join:1:zz'))).toBe('E2E_ERR_SDK_BAD_LINK');
    expect(await codeOf(alice.client.join(`wxe2ee-join:1:${'00'.repeat(16)}:${hex(g)}:${'11'.repeat(32)}`))).toBe('E2E_ERR_RELAY_NOT_FOUND');
    // Opening the group with setPolicy makes links possible.
    await alice.client.setPolicy(g, { joinPolicy: 'approval' });
    expect(alice.client.group(g)!.state.policy.joinPolicy).toBe('approval');
    expect((await alice.client.createInviteLink(g, { expiresAt: inOneHour(), maxUses: 1 })).startsWith('wxe2ee-join:1:')).toBe(true);
  });
});

describe('concurrent commits', () => {
  it('two admins commit at once: one wins, the other rebases on it, and everyone ends on the same head', async () => {
    world = await startWorld();
    const alice = await world.add('alice');
    const bob = await world.add('bob');
    const carol = await world.add('carol');
    const g = await alice.client.createGroup({ name: 'race' });
    for (const m of [bob, carol]) {
      await alice.client.invite(g, m.client.memberId);
      await m.client.waitForGroup(g);
    }
    await alice.client.setRole(g, bob.client.memberId, 'admin');
    await until('bob admin', () => bob.client.group(g)?.role === 'admin');
    const start = alice.client.group(g)!.epoch;
    await Promise.all([alice.client.setInfo(g, { announcement: 'from alice' }), bob.client.kick(g, carol.client.memberId), alice.client.rotate(g)]);
    const end = start + 3;
    await until('all on the final epoch', () => alice.client.group(g)!.epoch === end && bob.client.group(g)!.epoch === end);
    expect(hex(alice.client.group(g)!.state.headHash)).toBe(hex(bob.client.group(g)!.state.headHash));
    expect(alice.client.group(g)!.info?.announcement).toBe('from alice');
    await until('carol removed', () => carol.client.group(g)?.status === 'removed');
    await bob.client.sendPlaintext(g, 'after the race');
    await until('alice reads it', () => alice.texts(g).includes('after the race'));
    expect([...(alice.events.alarm ?? []), ...(bob.events.alarm ?? [])]).toEqual([]);
    // The race really happened: the relay refused at least one append with HEAD_MISMATCH.
    const metrics = await (await fetch(`${world.relay.httpUrl}/metrics`)).text();
    expect(Number(/relay_errors_total\{code="HEAD_MISMATCH"\} (\d+)/.exec(metrics)?.[1] ?? 0)).toBeGreaterThan(0);
  });
});

export type { Member };
