// Recovery: an unverifiable commit raises an alarm and a rotation heals the group; a
// pending commit is adopted or discarded after a restart; a retention gap is reported
// exactly; a member removed while offline learns it when it comes back.
import { afterEach, describe, expect, it } from 'vitest';
import { isE2eeError } from '../../crypto/src/errors';
import { identityFromSeed } from '../../crypto/src/identity/identity';
import { commitRotate } from '../../crypto/src/log/commit';
import { decodePrekeyBundle } from '../../crypto/src/wire/identity';
import { nodePlatform } from '../src/net/node-platform';
import { createRelayClient } from '../src/net/relay-client';
import { openNodeStore } from '../src/store/node-store';
import { decodeMemberRecord, encodePendingCommit, groupKey } from '../src/sdk/group-records';
import { signRelayAuthChallenge } from '../../crypto/src/wire/relay-auth';
import { hex, p, startWorld, until, type Member, type World } from './helpers';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** A member's identity and group record, read from its store (the client must be idle or stopped). */
async function stateOf(store: Member['store'], g: Uint8Array) {
  const seed = (await store.get('sdk/device/identity'))!.subarray(1);
  const identity = identityFromSeed(p, seed);
  const rec = decodeMemberRecord(p, (await store.get(groupKey(hex(g), 'member')))!);
  return { identity, rec };
}

async function signedPrekeyOf(m: Member, asker: Member) {
  const b = decodePrekeyBundle((await asker.client.relay.api.claimPrekey(m.client.memberId))!);
  return { prekeyKind: 'signed' as const, prekeyId: b.signedPrekey.id, prekey: b.signedPrekey.publicKey };
}

async function threeMembers(w: World) {
  const alice = await w.add('alice');
  const bob = await w.add('bob');
  const carol = await w.add('carol');
  const g = await alice.client.createGroup({ name: 'r' });
  for (const m of [bob, carol]) {
    await alice.client.invite(g, m.client.memberId);
    await m.client.waitForGroup(g);
  }
  const e = alice.client.group(g)!.epoch;
  await until('all at the same epoch', () => bob.client.group(g)!.epoch === e && carol.client.group(g)!.epoch === e);
  return { alice, bob, carol, g };
}

describe('recovery', () => {
  it('an envelope that does not open raises an alarm, and an automatic rotation heals the group', async () => {
    world = await startWorld();
    const { alice, bob, carol, g } = await threeMembers(world);
    await alice.client.idle(g);
    const { identity, rec } = await stateOf(alice.store, g);
    const bobKey = await signedPrekeyOf(bob, alice);
    const carolReal = await signedPrekeyOf(carol, alice);
    // A faulty committer boxes carol's secret to a key that is not hers (same prekey ID).
    const wrong = { ...carolReal, prekey: p.x25519PublicKey(p.randomBytes(32)) };
    const bad = commitRotate(p, identity, rec.state, (id) => (hex(id) === bob.client.memberIdHex ? bobKey : hex(id) === carol.client.memberIdHex ? wrong : undefined));
    const start = rec.state.public.epoch;
    await alice.client.relay.api.appendLog(g, { expectedHead: rec.state.public.headHash, entry: bad.entry, envelopes: bad.envelopes });

    await until('carol raises the alarm', () => carol.events.alarm?.some((a) => a.kind === 'commit-unverifiable') ?? false);
    const a = carol.events.alarm!.find((x) => x.kind === 'commit-unverifiable')!;
    expect(a.reason).toBe('unopenable-envelope');
    expect(a.code).toBe('E2E_ERR_COMMIT_UNVERIFIABLE');
    expect(a.epoch).toBe(start + 1);
    expect(bob.events.alarm?.some((x) => x.kind === 'commit-unverifiable')).toBe(false);

    await until('a rotation healed everyone', () => [alice, bob, carol].every((m) => m.client.group(g)!.epoch >= start + 2 && !m.client.group(g)!.alarm));
    const e = bob.client.group(g)!.epoch;
    await until('same epoch everywhere', () => alice.client.group(g)!.epoch === e && carol.client.group(g)!.epoch === e);
    await carol.client.sendPlaintext(g, 'healed');
    await until('bob and alice read carol', () => bob.texts(g).includes('healed') && alice.texts(g).includes('healed'));
  });

  it('a commit persisted as pending and appended before a crash is adopted on restart; one never appended is discarded', async () => {
    world = await startWorld();
    const alice = await world.add('alice');
    const bob = await world.add('bob');
    const g = await alice.client.createGroup({ name: 'crash' });
    await alice.client.invite(g, bob.client.memberId);
    await bob.client.waitForGroup(g);
    const bobKey = await signedPrekeyOf(bob, alice);
    const dir = alice.dir;
    await world.stop(alice);

    // "The crash": a rotation written as pending and appended, never adopted.
    const store = await openNodeStore(dir);
    const { identity, rec } = await stateOf(store, g);
    const c = commitRotate(p, identity, rec.state, () => bobKey);
    await store.put(groupKey(hex(g), 'pending'), encodePendingCommit({ index: rec.logLength, entry: c.entry, envelopes: c.envelopes, state: c.state }));
    const rc = createRelayClient({ platform: nodePlatform(), httpUrl: world.relay.httpUrl, identityKey: identity.publicKey, sign: (ch) => signRelayAuthChallenge(p, identity.seed, ch) });
    await rc.api.appendLog(g, { expectedHead: rec.state.public.headHash, entry: c.entry, envelopes: c.envelopes });
    await rc.connection.stop();
    await store.close();

    const alice2 = await world.add('alice', { dir });
    await until('pending resolved', async () => !(await alice2.store.get(groupKey(hex(g), 'pending'))));
    expect(alice2.client.group(g)!.epoch).toBe(rec.state.public.epoch + 1);
    expect(alice2.events.alarm).toEqual([]);
    await alice2.client.sendPlaintext(g, 'after restart');
    await until('bob reads it', () => bob.texts(g).includes('after restart'));

    // A pending commit the relay never got is dropped: nothing changes.
    await world.stop(alice2);
    const store2 = await openNodeStore(dir);
    const s2 = await stateOf(store2, g);
    const never = commitRotate(p, s2.identity, s2.rec.state, () => bobKey);
    await store2.put(groupKey(hex(g), 'pending'), encodePendingCommit({ index: s2.rec.logLength, entry: never.entry, envelopes: never.envelopes, state: never.state }));
    await store2.close();
    const alice3 = await world.add('alice', { dir });
    await until('pending dropped', async () => !(await alice3.store.get(groupKey(hex(g), 'pending'))));
    expect(alice3.client.group(g)!.epoch).toBe(s2.rec.state.public.epoch);
    await alice3.client.sendPlaintext(g, 'still fine');
    await until('bob reads it too', () => bob.texts(g).includes('still fine'));
    expect(alice3.events.alarm).toEqual([]);
  });

  it('a member offline past the retention sees exactly which range it lost', async () => {
    let offset = 0;
    world = await startWorld({ retentionSeconds: 60 }, () => Date.now() + offset);
    const alice = await world.add('alice');
    const bob = await world.add('bob');
    const g = await alice.client.createGroup({ name: 'retention' });
    await alice.client.invite(g, bob.client.memberId);
    await bob.client.waitForGroup(g);
    const first = await alice.client.sendPlaintext(g, 'm1');
    await until('bob read m1', () => bob.texts(g).includes('m1'));
    await bob.client.idle(g);
    const dir = bob.dir;
    await world.stop(bob);
    const lost = [await alice.client.sendPlaintext(g, 'm2'), await alice.client.sendPlaintext(g, 'm3'), await alice.client.sendPlaintext(g, 'm4')];
    offset += 120_000;
    const swept = await world.relay.core.sweepRetention();
    expect(swept.messages).toBeGreaterThanOrEqual(3);
    await alice.client.sendPlaintext(g, 'm5');
    const bob2 = await world.add('bob', { dir });
    await until('bob got m5', () => bob2.texts(g).includes('m5'));
    expect(bob2.texts(g)).toEqual(['m5']);
    expect(bob2.events.gap).toEqual([{ groupId: g, fromSeq: lost[0]!.seq, toSeq: lost[2]!.seq }]);
    expect(first.seq).toBe(lost[0]!.seq - 1);
  });

  it('a member removed while offline learns it when it comes back', async () => {
    world = await startWorld();
    const { alice, carol, g } = await threeMembers(world);
    const dir = carol.dir;
    await world.stop(carol);
    await alice.client.kick(g, carol.client.memberId);
    await alice.client.sendPlaintext(g, 'secret after');
    const carol2 = await world.add('carol', { dir });
    await until('carol knows', () => carol2.client.group(g)?.status === 'removed');
    expect(carol2.texts(g)).toEqual([]);
    let code = 'ok';
    try {
      await carol2.client.sendPlaintext(g, 'x');
    } catch (e) {
      code = isE2eeError(e) ? e.code : 'other';
    }
    expect(code).toBe('E2E_ERR_SDK_NOT_ACTIVE');
  });

  it('a fork: a relay that shows another valid entry at an index this member already has raises the fork alarm', async () => {
    world = await startWorld();
    const { alice, bob, g } = await threeMembers(world);
    await alice.client.idle(g);
    const { identity, rec } = await stateOf(alice.store, g);
    const { commitGroupInfo } = await import('../../crypto/src/log/commit');
    const { encodeRelayFrame, FRAME } = await import('../../crypto/src/wire/relay-frames');
    // Two valid entries on the same head; the relay keeps one and shows bob the other.
    const a = commitGroupInfo(p, identity, rec.state, { type: 'normal', name: 'A', announcement: '', avatar: new Uint8Array(0) });
    const b = commitGroupInfo(p, identity, rec.state, { type: 'normal', name: 'B', announcement: '', avatar: new Uint8Array(0) });
    const r = await alice.client.relay.api.appendLog(g, { expectedHead: rec.state.public.headHash, entry: a.entry, envelopes: [] });
    await until('bob applied A', () => bob.client.group(g)?.info?.name === 'A');
    await bob.client.idle(g);
    bob.inject(encodeRelayFrame({ type: FRAME.LOG_ENTRY, groupId: g, index: r.index, entry: b.entry, envelope: new Uint8Array(0) }));
    await until('bob raises the fork alarm', () => bob.events.alarm?.some((x) => x.kind === 'fork') ?? false);
    expect(bob.client.group(g)?.info?.name).toBe('A');
  });

  it('a crash between the member record and the receiver/sender records is repaired on load', async () => {
    world = await startWorld();
    const alice = await world.add('alice');
    const bob = await world.add('bob');
    const g = await alice.client.createGroup({ name: 'repair' });
    await alice.client.invite(g, bob.client.memberId);
    await bob.client.waitForGroup(g);
    await bob.client.idle(g);
    const recvKey = groupKey(hex(g), 'recv');
    const sendKey = groupKey(hex(g), 'send');
    const oldRecv = (await bob.store.get(recvKey))!;
    const oldSend = (await bob.store.get(sendKey))!;
    await alice.client.setInfo(g, { name: 'repair 2' });
    await until('bob applied it', () => bob.client.group(g)?.info?.name === 'repair 2');
    await bob.client.idle(g);
    const dir = bob.dir;
    await world.stop(bob);
    // "Crash": the member record of the new epoch was written, the other two were not.
    const store = await openNodeStore(dir);
    await store.put(recvKey, oldRecv);
    await store.put(sendKey, oldSend);
    await store.close();
    const bob2 = await world.add('bob', { dir });
    expect(bob2.client.group(g)!.epoch).toBe(alice.client.group(g)!.epoch);
    await alice.client.sendPlaintext(g, 'to repaired bob');
    await until('bob reads it', () => bob2.texts(g).includes('to repaired bob'));
    await bob2.client.sendPlaintext(g, 'from repaired bob');
    await until('alice reads it', () => alice.texts(g).includes('from repaired bob'));
    expect([...(bob2.events.alarm ?? []), ...(alice.events.alarm ?? [])]).toEqual([]);
  });

  it('a receiver that fails stops the group without moving the cursor; after a restart the messages come again', async () => {
    world = await startWorld();
    const alice = await world.add('alice');
    const bob = await world.add('bob');
    const g = await alice.client.createGroup({ name: 'stall' });
    await alice.client.invite(g, bob.client.memberId);
    await bob.client.waitForGroup(g);
    const got: string[] = [];
    bob.client.engine.setReceiver(async (m) => {
      const t = new TextDecoder().decode(m.plaintext);
      if (t === 'boom') throw new Error('disk full');
      got.push(t);
    });
    await alice.client.sendPlaintext(g, 'a1');
    await until('bob got a1', () => got.includes('a1'));
    await bob.client.idle(g);
    await alice.client.sendPlaintext(g, 'boom');
    await alice.client.sendPlaintext(g, 'a3');
    await until('bob reports the failure', () => (bob.events.error?.length ?? 0) > 0);
    await bob.client.idle(g);
    expect(got).not.toContain('a3');
    let code = 'ok';
    try {
      await bob.client.sendPlaintext(g, 'x');
    } catch (e) {
      code = isE2eeError(e) ? e.code : 'other';
    }
    expect(code).toBe('E2E_ERR_SDK_NOT_ACTIVE');
    const dir = bob.dir;
    await world.stop(bob);
    const bob2 = await world.add('bob', { dir });
    await until('boom and a3 redelivered', () => bob2.texts(g).includes('boom') && bob2.texts(g).includes('a3'));
    expect(bob2.texts(g)).not.toContain('a1');
    expect(bob2.events.alarm).toEqual([]);
  });
});

