import { describe, expect, it } from 'vitest';
import { bytesToHex, concatBytes, equalBytes } from '../../src/bytes';
import { signWithLabel } from '../../src/kdf';
import { SIG } from '../../src/labels';
import { deriveEpochKeys, deriveEpochSecret, deriveJoinerSecret, confirmationMac } from '../../src/epoch/schedule';
import { openEnvelope } from '../../src/envelope/envelope';
import { expireRetiredPrekey, prekeyPrivateKey, rotateSignedPrekey } from '../../src/identity/prekeys';
import {
  commitAdd,
  commitDissolve,
  commitGroupInfo,
  commitLeaveRemoval,
  commitPolicy,
  commitRemove,
  commitRole,
  commitRotate,
  commitTransferOwnership,
  createGroup,
  requestLeave,
} from '../../src/log/commit';
import {
  canSendInEpoch,
  COMMIT_UNVERIFIABLE,
  decodeGroupMemberState,
  encodeGroupMemberState,
  epochView,
  hasPendingRemoval,
  NO_EPOCH_SECRET,
  type GroupMemberState,
} from '../../src/log/member-state';
import { processEntry } from '../../src/log/private-fold';
import { isServed, OWNER_CANNOT_LEAVE, UNAUTHORISED } from '../../src/log/public-fold';
import { SIGNED_PREKEY_RETENTION_MS } from '../../src/limits';
import { decodeEnvelope } from '../../src/wire/envelope';
import {
  encodeLogEntryContent,
  entryHashOfContent,
  decodeLogEntry,
  logEntryContentOf,
  type EntryBody,
} from '../../src/wire/log-entry';
import { decodeWelcomePayload } from '../../src/wire/welcome';
import { defaultPolicy, p } from './helpers';
import { Device, lookupOf, TestRelay } from './harness';
import { expectCode } from '../expect-code';


/** owner creates; admin, alice, bob join; admin promoted. Everyone synced. */
function group(names = ['admin', 'alice', 'bob']) {
  const relay = new TestRelay(p);
  const owner = new Device(p, 'owner');
  const others = names.map((n) => new Device(p, n));
  const created = createGroup(p, owner.identity, { policy: defaultPolicy() });
  relay.append(created);
  owner.adopt(created, relay);
  const info = commitGroupInfo(p, owner.identity, owner.state!, { type: 'private', name: '病友群', announcement: '', avatar: new Uint8Array(0) });
  relay.append(info);
  owner.adopt(info, relay);
  const add = commitAdd(p, owner.identity, owner.state!, others.map((d) => d.bundle()));
  relay.append(add);
  owner.adopt(add, relay);
  for (const d of others) d.join(relay, relay.log.length - 1);
  const [admin] = others;
  const promote = commitRole(p, owner.identity, owner.state!, admin!.id, 'admin');
  relay.append(promote);
  owner.adopt(promote, relay);
  const all = [owner, ...others];
  syncAll(all, relay);
  return { relay, owner, others, all, byName: Object.fromEntries(others.map((d) => [d.name, d])) as Record<string, Device> };
}

function syncAll(devices: Device[], relay: TestRelay): void {
  for (const d of devices) d.sync(relay);
}

function commitAndAdopt(relay: TestRelay, device: Device, c: { entry: Uint8Array; envelopes: Uint8Array[]; state: GroupMemberState }): void {
  expect(relay.append(c)).toBe(true);
  device.adopt(c, relay);
}

function expectConverged(devices: Device[]): string {
  const roots = new Set(devices.map((d) => d.senderRootHex()));
  expect(roots.size, devices.map((d) => `${d.name}:${d.senderRootHex()?.slice(0, 8)}`).join(' ')).toBe(1);
  const [root] = [...roots];
  expect(root).not.toBeNull();
  for (const d of devices) expect(equalBytes(d.state!.public.headHash, devices[0]!.state!.public.headHash)).toBe(true);
  return root!;
}

/** Re-signs an entry with a replaced confirmation MAC: what a buggy or malicious member could send. */
function withMac(entry: Uint8Array, mac: Uint8Array, seed: Uint8Array): Uint8Array {
  const content = logEntryContentOf(entry);
  const signed = concatBytes(content, mac);
  return concatBytes(signed, signWithLabel(p, seed, SIG.LOG_ENTRY, signed));
}

describe('group lifecycle through the private fold', () => {
  it('every member derives the same epoch view after create, info, add and role change', () => {
    const { all, owner } = group();
    expectConverged(all);
    for (const d of all) {
      expect(d.state!.groupInfo?.name).toBe('病友群');
      expect(canSendInEpoch(d.state!)).toBe(true);
    }
    const view = epochView(p, owner.state!)!;
    expect(view.epoch).toBe(3);
    expect(view.members.length).toBe(4);
    expect(view.groupId.length).toBe(16);
    expect(equalBytes(view.transcriptHash, owner.state!.public.headHash)).toBe(true);
  });

  it('every entry kind moves all members to one new epoch', () => {
    const { relay, owner, all, byName } = group();
    const { admin, alice } = byName as { admin: Device; alice: Device };
    const steps: [Device, () => { entry: Uint8Array; envelopes: Uint8Array[]; state: GroupMemberState }][] = [
      [admin, () => commitPolicy(p, admin.identity, admin.state!, defaultPolicy({ maySendMedia: 'admins' }))],
      [admin, () => commitGroupInfo(p, admin.identity, admin.state!, { type: 'normal', name: 'renamed', announcement: '公告', avatar: Uint8Array.of(1) })],
      [alice, () => commitRotate(p, alice.identity, alice.state!, lookupOf(all))],
      [owner, () => commitTransferOwnership(p, owner.identity, owner.state!, admin.id)],
    ];
    const seen = new Set<string>();
    for (const [actor, make] of steps) {
      commitAndAdopt(relay, actor, make());
      syncAll(all, relay);
      const root = expectConverged(all);
      expect(seen.has(root)).toBe(false);
      seen.add(root);
    }
    expect(alice.state!.groupInfo?.announcement).toBe('公告');
    commitAndAdopt(relay, admin, commitDissolve(p, admin.identity, admin.state!));
    syncAll(all, relay);
    for (const d of all) expect(canSendInEpoch(d.state!)).toBe(false);
  });

  it('a committer’s own entry echoed back is recognised and changes nothing', () => {
    const { relay, owner, all } = group();
    const c = commitRotate(p, owner.identity, owner.state!, lookupOf(all));
    relay.append(c);
    owner.state = c.state;
    const r = processEntry(p, owner.state, owner.prekeys, c.entry, null);
    expect(r.duplicate).toBe(true);
    expect(r.state).toBe(owner.state);
  });
});

describe('joins', () => {
  it('late join: the welcome carries the joiner secret, never an earlier epoch secret or sender root', () => {
    const { relay, owner, all } = group();
    const before = owner.state!;
    const oldRoot = epochView(p, before)!.senderRoot;
    const carol = new Device(p, 'carol');
    const add = commitAdd(p, owner.identity, owner.state!, [carol.bundle()]);
    commitAndAdopt(relay, owner, add);
    const welcome = add.envelopes[0]!;
    const key = prekeyPrivateKey(carol.prekeys, decodeEnvelope(welcome).prekeyKind, decodeEnvelope(welcome).prekeyId)!;
    const payload = openEnvelope(p, welcome, key).payload;
    const hex = bytesToHex(payload);
    expect(hex.includes(bytesToHex(before.epochSecret!))).toBe(false);
    expect(hex.includes(bytesToHex(oldRoot))).toBe(false);
    // The joiner secret cannot be the previous epoch's secret, and yields only the new epoch.
    const w = decodeWelcomePayload(payload);
    expect(equalBytes(w.joinerSecret, before.epochSecret!)).toBe(false);
    carol.join(relay, relay.log.length - 1);
    syncAll(all, relay);
    expectConverged([...all, carol]);
  });

  it('an add refuses a joiner bundle whose one-time prekey the relay replaced', () => {
    const { owner } = group();
    const carol = new Device(p, 'carol');
    const b = carol.bundle();
    const relayKey = p.x25519PublicKey(p.randomBytes(32));
    const before = encodeGroupMemberState(owner.state!);
    expectCode(() => commitAdd(p, owner.identity, owner.state!, [{ ...b, oneTimePrekey: { ...b.oneTimePrekey!, publicKey: relayKey } }]), 'E2E_ERR_BAD_SIGNATURE');
    expect(encodeGroupMemberState(owner.state!)).toEqual(before);
  });

  it('a welcome opens once: the one-time prekey is deleted after use', () => {
    const { relay, owner } = group();
    const carol = new Device(p, 'carol');
    const bundle = carol.bundle();
    commitAndAdopt(relay, owner, commitAdd(p, owner.identity, owner.state!, [bundle]));
    const prekeysBefore = carol.prekeys;
    carol.join(relay, relay.log.length - 1);
    expect(carol.prekeys.oneTime.some((k) => k.id === bundle.oneTimePrekey!.id)).toBe(false);
    expect(prekeysBefore.oneTime.some((k) => k.id === bundle.oneTimePrekey!.id)).toBe(true);
    carol.state = null;
    expectCode(() => carol.join(relay, relay.log.length - 1), COMMIT_UNVERIFIABLE);
  });
});

describe('kick and leave', () => {
  it('a removed member keeps everything, sees every later entry and envelope, and derives nothing the others use', () => {
    const { relay, owner, all, byName } = group();
    const bob = byName.bob!;
    const bobState = bob.state!;
    const bobPrekeys = bob.prekeys;
    const removal = commitRemove(p, owner.identity, owner.state!, [bob.id], lookupOf(all));
    commitAndAdopt(relay, owner, removal);
    const remaining = all.filter((d) => d !== bob);
    syncAll(remaining, relay);
    const newRoot = expectConverged(remaining);
    // Later traffic: a rotation and a role change, all visible to bob.
    commitAndAdopt(relay, owner, commitRotate(p, owner.identity, owner.state!, lookupOf(remaining)));
    syncAll(remaining, relay);
    const laterRoot = expectConverged(remaining);

    // Bob's own client notices the removal.
    const r = processEntry(p, bobState, bobPrekeys, removal.entry, null);
    expect(r.removed).toBe(true);
    expect(r.state.epochSecret).toBeNull();

    // Bob tries every envelope of every later entry with every prekey he holds.
    const keys = [bobPrekeys.signed, ...(bobPrekeys.previous ? [bobPrekeys.previous] : []), ...bobPrekeys.oneTime];
    for (const logged of relay.log.slice(relay.log.indexOf(relay.log.find((l) => l.entry === removal.entry)!))) {
      for (const env of logged.envelopes) {
        for (const k of keys) expect(() => openEnvelope(p, env, k)).toThrow();
      }
    }
    // And every derivation from the secret he holds, through every later entry.
    let secret = bobState.epochSecret!;
    const candidates: string[] = [];
    for (const logged of relay.log.slice(-2)) {
      const e = decodeLogEntry(logged.entry);
      const h = entryHashOfContent(p, logEntryContentOf(logged.entry));
      for (const joiner of [deriveJoinerSecret(p, secret, e.groupId, e.epoch), secret]) {
        const s = deriveEpochSecret(p, joiner, h);
        candidates.push(bytesToHex(deriveEpochKeys(p, s, e.groupId, e.epoch).senderRoot));
        secret = s;
      }
    }
    expect(candidates).not.toContain(newRoot);
    expect(candidates).not.toContain(laterRoot);
  });

  it('a leave is a request; the relay stops serving the leaver; a remaining member commits the removal with a fresh secret', () => {
    const { relay, all, byName } = group();
    const { alice, bob } = byName as { alice: Device; bob: Device };
    const leave = requestLeave(p, bob.identity, bob.state!);
    commitAndAdopt(relay, bob, leave);
    expect(isServed(relay.state, bob.id)).toBe(false);
    syncAll(all, relay);
    // Nobody sends in an epoch with a pending leave.
    for (const d of all) {
      expect(canSendInEpoch(d.state!)).toBe(false);
      expect(hasPendingRemoval(d.state!)).toBe(true);
    }
    const bobSecret = bob.state!.epochSecret!;
    const removal = commitLeaveRemoval(p, alice.identity, alice.state!, lookupOf(all));
    commitAndAdopt(relay, alice, removal);
    const remaining = all.filter((d) => d !== bob);
    syncAll(remaining, relay);
    const root = expectConverged(remaining);
    for (const d of remaining) {
      expect(canSendInEpoch(d.state!)).toBe(true);
      expect(hasPendingRemoval(d.state!)).toBe(false);
    }
    const results = bob.sync(relay);
    expect(results.at(-1)!.removed).toBe(true);
    // The leaver's last secret derives nothing of the new epoch.
    const e = decodeLogEntry(removal.entry);
    const h = entryHashOfContent(p, logEntryContentOf(removal.entry));
    const guess = deriveEpochKeys(p, deriveEpochSecret(p, deriveJoinerSecret(p, bobSecret, e.groupId, e.epoch), h), e.groupId, e.epoch).senderRoot;
    expect(bytesToHex(guess)).not.toBe(root);
  });

  it('the owner cannot leave before transferring ownership, and nothing changes', () => {
    const { owner } = group();
    const before = encodeGroupMemberState(owner.state!);
    expectCode(() => requestLeave(p, owner.identity, owner.state!), OWNER_CANNOT_LEAVE);
    expect(encodeGroupMemberState(owner.state!)).toEqual(before);
  });

  it('an unauthorised commit throws and leaves the committer state untouched', () => {
    const { all, byName } = group();
    const { alice, bob } = byName as { alice: Device; bob: Device };
    const before = encodeGroupMemberState(alice.state!);
    expectCode(() => commitRemove(p, alice.identity, alice.state!, [bob.id], lookupOf(all)), UNAUTHORISED);
    expect(encodeGroupMemberState(alice.state!)).toEqual(before);
  });
});

describe('concurrency and recovery', () => {
  it('concurrent commits on one head: one wins, the other rebases and lands next', () => {
    const { relay, all, owner, byName } = group();
    const alice = byName.alice!;
    const a = commitRotate(p, alice.identity, alice.state!, lookupOf(all));
    const o = commitPolicy(p, owner.identity, owner.state!, defaultPolicy({ groupMuted: true }));
    expect(relay.append(a)).toBe(true);
    alice.adopt(a, relay);
    expect(relay.append(o)).toBe(false);
    // The loser drops its result, processes the winner, rebuilds.
    owner.sync(relay);
    const o2 = commitPolicy(p, owner.identity, owner.state!, defaultPolicy({ groupMuted: true }));
    commitAndAdopt(relay, owner, o2);
    syncAll(all, relay);
    expectConverged(all);
    expect(all.every((d) => d.state!.public.policy.groupMuted)).toBe(true);
  });

  it('a commit with a bad MAC raises the alarm everywhere; a rotation on top by the alarmed member heals the group', () => {
    const { relay, all, byName } = group();
    const { admin, alice } = byName as { admin: Device; alice: Device };
    const honest = commitRotate(p, admin.identity, admin.state!, lookupOf(all));
    const bad = { entry: withMac(honest.entry, p.randomBytes(32), admin.identity.seed), envelopes: honest.envelopes };
    expect(relay.append(bad)).toBe(true); // the relay cannot check MACs
    const others = all.filter((d) => d !== admin);
    for (const d of others) {
      const [r] = d.sync(relay);
      expect(r!.alarm).toMatchObject({ code: COMMIT_UNVERIFIABLE, reason: 'bad-mac', epoch: relay.state.epoch });
      expect(canSendInEpoch(d.state!)).toBe(false);
      expect(epochView(p, d.state!)).toBeNull();
    }
    // An alarmed member cannot commit anything that needs the lost secret...
    expectCode(() => commitPolicy(p, alice.identity, alice.state!, defaultPolicy()), NO_EPOCH_SECRET);
    // ...but can commit the rotation, which needs none.
    const heal = commitRotate(p, alice.identity, alice.state!, lookupOf(all));
    commitAndAdopt(relay, alice, heal);
    // The faulty committer never adopted its commit; it processes the log like everyone
    // (it is not a recipient of its own rotation, so it alarms too) and heals the same way.
    syncAll(all, relay);
    expect(admin.alarms.map((a) => a?.reason)).toEqual(['unopenable-envelope']);
    expectConverged(all);
    for (const d of all) {
      expect(d.state!.alarm).toBeNull();
      expect(canSendInEpoch(d.state!)).toBe(true);
    }
  });

  it('an unopenable envelope raises the alarm for its recipient only; a rotation on top heals', () => {
    const { relay, all, owner, byName } = group();
    const bob = byName.bob!;
    const wrong = p.randomBytes(32);
    const lookup = lookupOf(all);
    const c = commitRotate(p, owner.identity, owner.state!, (id) =>
      equalBytes(id, bob.id) ? { prekeyKind: 'signed', prekeyId: bob.prekeys.signed.id, prekey: p.x25519PublicKey(wrong) } : lookup(id),
    );
    commitAndAdopt(relay, owner, c);
    const [r] = bob.sync(relay);
    expect(r!.alarm?.reason).toBe('unopenable-envelope');
    const fine = all.filter((d) => d !== bob && d !== owner);
    syncAll(fine, relay);
    expectConverged([owner, ...fine]);
    // Entries that derive from the lost secret keep bob in alarm; he follows the public log.
    commitAndAdopt(relay, owner, commitPolicy(p, owner.identity, owner.state!, defaultPolicy({ mayInvite: 'members' })));
    bob.sync(relay);
    expect(bob.state!.alarm?.reason).toBe('unopenable-envelope');
    expect(bob.state!.public.policy.mayInvite).toBe('members');
    commitAndAdopt(relay, bob, commitRotate(p, bob.identity, bob.state!, lookupOf(all)));
    syncAll(all, relay);
    expectConverged(all);
  });

  it('bad group info raises the alarm; a rotation on top heals', () => {
    const { relay, all, byName } = group();
    const admin = byName.admin!;
    // An insider seals junk as group info but computes a valid MAC over it.
    const s = admin.state!;
    const body: EntryBody = { kind: 'group-info', sealedInfo: p.randomBytes(64) };
    const epoch = s.public.epoch + 1;
    const content = encodeLogEntryContent({ version: 1, groupId: s.public.groupId, epoch, prevHash: s.public.headHash, actor: admin.id, body, recipients: [] });
    const h = entryHashOfContent(p, content);
    const secret = deriveEpochSecret(p, deriveJoinerSecret(p, s.epochSecret!, s.public.groupId, epoch), h);
    const mac = confirmationMac(p, deriveEpochKeys(p, secret, s.public.groupId, epoch).confirmationKey, h);
    const signed = concatBytes(content, mac);
    const entry = concatBytes(signed, signWithLabel(p, admin.identity.seed, SIG.LOG_ENTRY, signed));
    expect(relay.append({ entry, envelopes: [] })).toBe(true);
    for (const d of all) expect(d.sync(relay)[0]!.alarm?.reason).toBe('bad-group-info');
    const alice = byName.alice!;
    commitAndAdopt(relay, alice, commitRotate(p, alice.identity, alice.state!, lookupOf(all)));
    syncAll(all, relay);
    expectConverged(all);
    // The last good group info is kept.
    expect(alice.state!.groupInfo?.name).toBe('病友群');
  });

  it('a committer that lost its own accepted rotation (crash) raises the alarm on it and heals by rotating', () => {
    const { relay, all, byName } = group();
    const alice = byName.alice!;
    const c = commitRotate(p, alice.identity, alice.state!, lookupOf(all));
    expect(relay.append(c)).toBe(true); // sent, accepted, then the device crashed before adopting c.state
    const [r] = alice.sync(relay);
    expect(r!.alarm?.reason).toBe('unopenable-envelope');
    const others = all.filter((d) => d !== alice);
    syncAll(others, relay);
    expectConverged(others);
    commitAndAdopt(relay, alice, commitRotate(p, alice.identity, alice.state!, lookupOf(all)));
    syncAll(all, relay);
    expectConverged(all);
  });

  it('a ghost member inserted by the relay is rejected by every client', () => {
    const { relay, owner, all } = group();
    const ghost = new Device(p, 'ghost');
    // The relay signs an add with its own key, naming the owner as actor.
    const forged = commitAdd(p, owner.identity, owner.state!, [ghost.bundle()]);
    const content = logEntryContentOf(forged.entry);
    const mac = forged.entry.subarray(content.length, content.length + 32);
    const signed = concatBytes(content, mac);
    const relaySigned = concatBytes(signed, signWithLabel(p, ghost.identity.seed, SIG.LOG_ENTRY, signed));
    for (const d of all.filter((x) => x !== owner)) {
      expectCode(() => processEntry(p, d.state!, d.prekeys, relaySigned, null), 'E2E_ERR_BAD_SIGNATURE');
    }
    // The relay's own fold refuses it too.
    expectCode(() => relay.append({ entry: relaySigned, envelopes: forged.envelopes }), 'E2E_ERR_BAD_SIGNATURE');
  });
});

describe('prekey retention', () => {
  it('an envelope sealed to the previous signed prekey opens within the retention window, not after', () => {
    const { relay, owner, all, byName } = group();
    const bob = byName.bob!;
    const stale = lookupOf(all); // the committer still has bob's old bundle
    const staleKey = stale(bob.id)!;
    bob.prekeys = rotateSignedPrekey(p, bob.prekeys, 1000);
    const c = commitRotate(p, owner.identity, owner.state!, (id) => (equalBytes(id, bob.id) ? staleKey : stale(id)));
    commitAndAdopt(relay, owner, c);
    const withinWindow = processEntry(p, bob.state!, bob.prekeys, c.entry, relay.envelopeFor(relay.log.length - 1, bob.id));
    expect(withinWindow.alarm).toBeNull();
    const expired = expireRetiredPrekey(bob.prekeys, 1000 + SIGNED_PREKEY_RETENTION_MS);
    expect(expired.previous).toBeNull();
    const after = processEntry(p, bob.state!, expired, c.entry, relay.envelopeFor(relay.log.length - 1, bob.id));
    expect(after.alarm?.reason).toBe('unopenable-envelope');
  });
});

describe('group member state serialization', () => {
  it('round-trips losslessly in normal, alarm and removed states, and rejects junk', () => {
    const { relay, all, owner, byName } = group();
    const bob = byName.bob!;
    const states: GroupMemberState[] = [owner.state!];
    const c = commitRemove(p, owner.identity, owner.state!, [bob.id], lookupOf(all));
    commitAndAdopt(relay, owner, c);
    states.push(bob.sync(relay)[0]!.state);
    const honest = commitRotate(p, owner.identity, owner.state!, lookupOf(all));
    relay.append({ entry: withMac(honest.entry, p.randomBytes(32), owner.identity.seed), envelopes: honest.envelopes });
    states.push(byName.alice!.sync(relay).at(-1)!.state);
    expect(states[1]!.removed).toBe(true);
    expect(states[2]!.alarm).not.toBeNull();
    for (const s of states) {
      const bytes = encodeGroupMemberState(s);
      expect(decodeGroupMemberState(p, bytes)).toEqual(s);
      for (let n = 0; n < bytes.length; n += 7) expectCode(() => decodeGroupMemberState(p, bytes.subarray(0, n)), 'E2E_ERR_MALFORMED');
      expectCode(() => decodeGroupMemberState(p, concatBytes(bytes, Uint8Array.of(0))), 'E2E_ERR_MALFORMED');
    }
  });
});

describe('500 members', () => {
  it('adds 499 members, removes one with 498 fresh envelopes, and members converge', () => {
    const relay = new TestRelay(p);
    const owner = new Device(p, 'owner');
    const created = createGroup(p, owner.identity, { policy: defaultPolicy() });
    commitAndAdopt(relay, owner, created);
    const others = Array.from({ length: 499 }, (_, i) => new Device(p, `m${i}`, 0));
    const add = commitAdd(p, owner.identity, owner.state!, others.map((d) => d.bundle(false)));
    commitAndAdopt(relay, owner, add);
    expect(owner.state!.public.members.length).toBe(500);
    const sample = [others[0]!, others[250]!, others[498]!];
    for (const d of sample) d.join(relay, 1);
    const removal = commitRemove(p, owner.identity, owner.state!, [others[1]!.id], lookupOf(others));
    expect(removal.envelopes.length).toBe(498);
    commitAndAdopt(relay, owner, removal);
    syncAll(sample, relay);
    expectConverged([owner, ...sample]);
  });
});
