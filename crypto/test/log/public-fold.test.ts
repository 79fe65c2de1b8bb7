import { describe, expect, it } from 'vitest';
import { equalBytes } from '../../src/bytes';
import { signWithLabel } from '../../src/kdf';
import { SIG } from '../../src/labels';
import {
  BAD_SIGNATURE,
  BROKEN_CHAIN,
  canEditInfo,
  canInvite,
  canSendMedia,
  canSendMessage,
  decodePublicGroupState,
  encodePublicGroupState,
  ENVELOPE_MISMATCH,
  epoch,
  foldPublicEntry,
  foldPublicGenesis,
  GROUP_DISSOLVED,
  GROUP_FULL,
  hasPendingRemoval,
  headHash,
  INVALID_ENTRY,
  isMember,
  isServed,
  memberCount,
  OWNER_CANNOT_LEAVE,
  roleOf,
  UNAUTHORISED,
  WRONG_GROUP,
  type PublicGroupState,
} from '../../src/log/public-fold';
import { headHashOfEntry, logEntryContentOf } from '../../src/wire/log-entry';
import { createEntry, defaultPolicy, entryOn, identity, p, sortKeysById, type Built, type TestIdentity } from './helpers';
import { expectCode } from '../expect-code';


function apply(state: PublicGroupState, built: Built): PublicGroupState {
  return foldPublicEntry(p, state, built.bytes, built.envelopes);
}

/** owner + admin + two members, with the admin promoted. */
function smallGroup(policy = defaultPolicy()) {
  const owner = identity();
  const admin = identity();
  const alice = identity();
  const bob = identity();
  let s = foldPublicGenesis(p, createEntry(owner, policy));
  s = apply(s, entryOn(s, owner, { kind: 'add', identityKeys: sortKeysById([admin.publicKey, alice.publicKey, bob.publicKey]) }));
  s = apply(s, entryOn(s, owner, { kind: 'role', memberId: admin.memberId, role: 'admin' }));
  return { owner, admin, alice, bob, s };
}

describe('public fold: genesis', () => {
  it('a create entry makes its signer the only member and owner at epoch 0', () => {
    const owner = identity();
    const bytes = createEntry(owner);
    const s = foldPublicGenesis(p, bytes);
    expect(epoch(s)).toBe(0);
    expect(memberCount(s)).toBe(1);
    expect(roleOf(s, owner.memberId)).toBe('owner');
    expect(equalBytes(headHash(s), headHashOfEntry(p, bytes))).toBe(true);
  });

  it('rejects a create entry signed by a key other than the one it names', () => {
    const owner = identity();
    const other = identity();
    const bytes = createEntry(owner);
    const content = logEntryContentOf(bytes);
    const forged = new Uint8Array(bytes);
    forged.set(signWithLabel(p, other.seed, SIG.LOG_ENTRY, bytes.subarray(0, bytes.length - 64)), bytes.length - 64);
    expect(content.length).toBe(bytes.length - 96);
    expectCode(() => foldPublicGenesis(p, forged), BAD_SIGNATURE);
  });

  it('rejects any other kind as the first entry', () => {
    const { s, alice } = smallGroup();
    const rotate = entryOn(s, alice, { kind: 'rotate' });
    expectCode(() => foldPublicGenesis(p, rotate.bytes), INVALID_ENTRY);
  });

  it('rejects a create entry that is not at epoch 0', () => {
    const owner = identity();
    const { s } = smallGroup();
    const bad = entryOn(s, owner, { kind: 'create', identityKey: owner.publicKey, policy: defaultPolicy() });
    expectCode(() => foldPublicGenesis(p, bad.bytes), BROKEN_CHAIN);
  });
});

describe('public fold: a valid chain through every entry kind', () => {
  it('folds add, role, policy, group info, rotate, leave, removal, transfer and dissolve', () => {
    const { owner, admin, alice, bob, s: s0 } = smallGroup();
    expect(memberCount(s0)).toBe(4);
    expect(roleOf(s0, admin.memberId)).toBe('admin');
    expect(canInvite(s0, admin.memberId)).toBe(true);
    expect(canInvite(s0, alice.memberId)).toBe(false);

    let s = apply(s0, entryOn(s0, admin, { kind: 'policy', policy: defaultPolicy({ mutedMembers: [bob.memberId], maySendMedia: 'admins' }) }));
    expect(canSendMessage(s, bob.memberId)).toBe(false);
    expect(canSendMessage(s, alice.memberId)).toBe(true);
    expect(canSendMedia(s, alice.memberId)).toBe(false);
    expect(canSendMedia(s, admin.memberId)).toBe(true);

    s = apply(s, entryOn(s, admin, { kind: 'group-info', sealedInfo: p.randomBytes(80) }));
    expect(canEditInfo(s, alice.memberId)).toBe(false);
    s = apply(s, entryOn(s, alice, { kind: 'rotate' }));

    s = apply(s, entryOn(s, bob, { kind: 'leave-request' }));
    expect(isMember(s, bob.memberId)).toBe(true);
    expect(isServed(s, bob.memberId)).toBe(false);
    expect(hasPendingRemoval(s)).toBe(true);
    // A plain member may commit the removal a leaver asked for.
    s = apply(s, entryOn(s, alice, { kind: 'remove', memberIds: [bob.memberId] }));
    expect(isMember(s, bob.memberId)).toBe(false);
    expect(hasPendingRemoval(s)).toBe(false);
    expect(s.policy.mutedMembers).toEqual([]);

    s = apply(s, entryOn(s, owner, { kind: 'transfer-ownership', newOwner: admin.memberId }));
    expect(roleOf(s, admin.memberId)).toBe('owner');
    expect(roleOf(s, owner.memberId)).toBe('admin');
    s = apply(s, entryOn(s, owner, { kind: 'leave-request' }));
    s = apply(s, entryOn(s, admin, { kind: 'remove', memberIds: [owner.memberId] }));
    expect(memberCount(s)).toBe(2);

    s = apply(s, entryOn(s, admin, { kind: 'dissolve' }));
    expect(s.dissolved).toBe(true);
    expect(isServed(s, alice.memberId)).toBe(false);
    expectCode(() => apply(s, entryOn(s, admin, { kind: 'rotate' })), GROUP_DISSOLVED);
    expect(epoch(s)).toBe(11);
  });

  it('the public state round-trips through its encoding at every step', () => {
    const { s, alice } = smallGroup(defaultPolicy({ piiPolicy: Uint8Array.of(1, 2, 3) }));
    const s2 = apply(s, entryOn(s, alice, { kind: 'rotate' }));
    for (const st of [s, s2]) {
      const bytes = encodePublicGroupState(st);
      const back = decodePublicGroupState(p, bytes);
      expect(back).toEqual(st);
      expect(encodePublicGroupState(back)).toEqual(bytes);
    }
  });

  it('never modifies the input state, even when the entry is accepted', () => {
    const { s, admin, alice } = smallGroup();
    const before = encodePublicGroupState(s);
    apply(s, entryOn(s, admin, { kind: 'remove', memberIds: [alice.memberId] }));
    expect(encodePublicGroupState(s)).toEqual(before);
  });
});

describe('public fold: rejection rules', () => {
  it('bad signature: one flipped bit in the signature', () => {
    const { s, alice } = smallGroup();
    const e = entryOn(s, alice, { kind: 'rotate' });
    e.bytes[e.bytes.length - 1]! ^= 1;
    expectCode(() => apply(s, e), BAD_SIGNATURE);
  });

  it('bad signature: any changed byte of content or MAC invalidates it', () => {
    const { s, alice } = smallGroup();
    const e = entryOn(s, alice, { kind: 'rotate' });
    const macOffset = e.bytes.length - 96;
    const mutated = new Uint8Array(e.bytes);
    mutated[macOffset]! ^= 0x80;
    expectCode(() => foldPublicEntry(p, s, mutated, e.envelopes), BAD_SIGNATURE);
  });

  it('wrong label: an entry signed under another label does not verify', () => {
    const { s, alice } = smallGroup();
    expectCode(() => apply(s, entryOn(s, alice, { kind: 'rotate' }, { label: SIG.PREKEY_BUNDLE })), BAD_SIGNATURE);
  });

  it('a relay auth challenge a member signed cannot be replayed as a log entry', () => {
    const { s, admin, alice } = smallGroup();
    // A malicious relay picks challenge bytes that are exactly the signed part of a removal
    // of alice by the admin, asks the admin to sign them to log in, and appends the result.
    const wanted = entryOn(s, admin, { kind: 'remove', memberIds: [alice.memberId] });
    const challenge = wanted.bytes.subarray(0, wanted.bytes.length - 64);
    const authSignature = signWithLabel(p, admin.seed, SIG.RELAY_AUTH, challenge);
    const replayed = new Uint8Array(wanted.bytes);
    replayed.set(authSignature, replayed.length - 64);
    expectCode(() => foldPublicEntry(p, s, replayed, wanted.envelopes), BAD_SIGNATURE);
    // The genuine signature over the same bytes is accepted: the label is the only difference.
    expect(isMember(apply(s, wanted), alice.memberId)).toBe(false);
  });

  it('a ghost member inserted by the relay is rejected (non-member actor)', () => {
    const { s } = smallGroup();
    const relayKey = identity();
    const ghost = identity();
    expectCode(() => apply(s, entryOn(s, relayKey, { kind: 'add', identityKeys: [ghost.publicKey] })), UNAUTHORISED);
  });

  it('a ghost member inserted by the relay is rejected (member named as actor, relay signs)', () => {
    const { s, owner } = smallGroup();
    const relayKey = identity();
    const ghost = identity();
    const e = entryOn(s, owner, { kind: 'add', identityKeys: [ghost.publicKey] }, { signer: relayKey.seed });
    expectCode(() => apply(s, e), BAD_SIGNATURE);
  });

  it('unauthorised actor: a member cannot remove, re-role, change policy or invite under invite-only', () => {
    const { s, alice, bob, admin, owner } = smallGroup();
    expectCode(() => apply(s, entryOn(s, alice, { kind: 'remove', memberIds: [bob.memberId] })), UNAUTHORISED);
    expectCode(() => apply(s, entryOn(s, alice, { kind: 'role', memberId: bob.memberId, role: 'admin' })), UNAUTHORISED);
    expectCode(() => apply(s, entryOn(s, alice, { kind: 'policy', policy: defaultPolicy({ groupMuted: true }) })), UNAUTHORISED);
    expectCode(() => apply(s, entryOn(s, alice, { kind: 'add', identityKeys: [identity().publicKey] })), UNAUTHORISED);
    expectCode(() => apply(s, entryOn(s, alice, { kind: 'group-info', sealedInfo: p.randomBytes(40) })), UNAUTHORISED);
    expectCode(() => apply(s, entryOn(s, alice, { kind: 'dissolve' })), UNAUTHORISED);
    expectCode(() => apply(s, entryOn(s, admin, { kind: 'transfer-ownership', newOwner: alice.memberId })), UNAUTHORISED);
    expectCode(() => apply(s, entryOn(s, admin, { kind: 'role', memberId: bob.memberId, role: 'admin' })), UNAUTHORISED);
    expectCode(() => apply(s, entryOn(s, admin, { kind: 'remove', memberIds: [owner.memberId] })), UNAUTHORISED);
    expectCode(() => apply(s, entryOn(s, admin, { kind: 'dissolve' })), UNAUTHORISED);
  });

  it('an admin cannot remove another admin; the owner can', () => {
    const { s: s0, owner, admin, alice } = smallGroup();
    const s = apply(s0, entryOn(s0, owner, { kind: 'role', memberId: alice.memberId, role: 'admin' }));
    expectCode(() => apply(s, entryOn(s, admin, { kind: 'remove', memberIds: [alice.memberId] })), UNAUTHORISED);
    expect(isMember(apply(s, entryOn(s, owner, { kind: 'remove', memberIds: [alice.memberId] })), alice.memberId)).toBe(false);
  });

  it('an open join policy lets any member commit an add; approval lets admins', () => {
    const open = smallGroup(defaultPolicy({ joinPolicy: 'open', mayInvite: 'owner' }));
    const joiner = identity();
    const s1 = apply(open.s, entryOn(open.s, open.alice, { kind: 'add', identityKeys: [joiner.publicKey] }));
    expect(isMember(s1, joiner.memberId)).toBe(true);
    const approval = smallGroup(defaultPolicy({ joinPolicy: 'approval', mayInvite: 'owner' }));
    const s2 = apply(approval.s, entryOn(approval.s, approval.admin, { kind: 'add', identityKeys: [joiner.publicKey] }));
    expect(isMember(s2, joiner.memberId)).toBe(true);
    expectCode(() => apply(approval.s, entryOn(approval.s, approval.alice, { kind: 'add', identityKeys: [joiner.publicKey] })), UNAUTHORISED);
  });

  it('the owner cannot leave before transferring ownership', () => {
    const { s, owner } = smallGroup();
    expectCode(() => apply(s, entryOn(s, owner, { kind: 'leave-request' })), OWNER_CANNOT_LEAVE);
  });

  it('a member with a pending leave can no longer act, and cannot be made owner', () => {
    const { s: s0, owner, alice } = smallGroup();
    const s = apply(s0, entryOn(s0, alice, { kind: 'leave-request' }));
    expectCode(() => apply(s, entryOn(s, alice, { kind: 'rotate' })), UNAUTHORISED);
    expectCode(() => apply(s, entryOn(s, owner, { kind: 'transfer-ownership', newOwner: alice.memberId })), INVALID_ENTRY);
  });

  it('broken chain: wrong prevHash, skipped epoch, replayed entry', () => {
    const { s, alice } = smallGroup();
    expectCode(() => apply(s, entryOn(s, alice, { kind: 'rotate' }, { tweak: (c) => ({ ...c, prevHash: p.randomBytes(32) }) })), BROKEN_CHAIN);
    expectCode(() => apply(s, entryOn(s, alice, { kind: 'rotate' }, { tweak: (c) => ({ ...c, epoch: c.epoch + 1 }) })), BROKEN_CHAIN);
    const e = entryOn(s, alice, { kind: 'rotate' });
    const s2 = apply(s, e);
    expectCode(() => apply(s2, e), BROKEN_CHAIN);
  });

  it('wrong group: an entry of another group is rejected', () => {
    const { s, alice } = smallGroup();
    expectCode(() => apply(s, entryOn(s, alice, { kind: 'rotate' }, { tweak: (c) => ({ ...c, groupId: p.randomBytes(16) }) })), WRONG_GROUP);
  });

  it('envelope rules: a rotate must box the secret to every other member, and only to them', () => {
    const { s, alice, bob } = smallGroup();
    // Leaving bob out of a rotation (so a relay could later cut him off silently) is rejected.
    const missing = entryOn(s, alice, { kind: 'rotate' }, {
      tweak: (c) => ({ ...c, recipients: c.recipients.filter((r) => !equalBytes(r.memberId, bob.memberId)) }),
    });
    expectCode(() => apply(s, { ...missing, envelopes: missing.envelopes.slice(0, missing.content.recipients.length) }), ENVELOPE_MISMATCH);
    // Supplying fewer envelopes than listed recipients.
    const e = entryOn(s, alice, { kind: 'rotate' });
    expectCode(() => foldPublicEntry(p, s, e.bytes, e.envelopes.slice(1)), ENVELOPE_MISMATCH);
    // Swapping two envelopes (each is bound to its recipient by hash).
    const swapped = [e.envelopes[1]!, e.envelopes[0]!, ...e.envelopes.slice(2)];
    expectCode(() => foldPublicEntry(p, s, e.bytes, swapped), ENVELOPE_MISMATCH);
    // A junk envelope.
    expectCode(() => foldPublicEntry(p, s, e.bytes, [p.randomBytes(40), ...e.envelopes.slice(1)]), ENVELOPE_MISMATCH);
    expect(memberCount(apply(s, e))).toBe(4);
  });

  it('envelope rules: a remove must not box the new secret to the removed member', () => {
    const { s, owner, alice } = smallGroup();
    const leak = entryOn(s, owner, { kind: 'rotate' });
    // A "remove" whose recipients still include alice (built as a rotate's list).
    const bad = entryOn(s, owner, { kind: 'remove', memberIds: [alice.memberId] }, { tweak: (c) => ({ ...c, recipients: leak.content.recipients }) });
    expectCode(() => foldPublicEntry(p, s, bad.bytes, leak.envelopes), ENVELOPE_MISMATCH);
  });

  it('envelope rules: a header naming another recipient or epoch does not match', async () => {
    const { s, alice } = smallGroup();
    const { fakeEnvelope } = await import('./helpers');
    const { envelopeHashOf } = await import('../../src/wire/envelope');
    const e = entryOn(s, alice, { kind: 'rotate' });
    const wrongEpoch = fakeEnvelope(s.groupId, s.epoch, e.content.recipients[0]!.memberId, 'epoch-secret');
    const bad = entryOn(s, alice, { kind: 'rotate' }, {
      tweak: (c) => ({ ...c, recipients: c.recipients.map((r, i) => (i === 0 ? { ...r, envelopeHash: envelopeHashOf(p, wrongEpoch) } : r)) }),
    });
    expectCode(() => foldPublicEntry(p, s, bad.bytes, [wrongEpoch, ...bad.envelopes.slice(1)]), ENVELOPE_MISMATCH);
  });

  it('an entry kind without envelopes must list no recipients', () => {
    const { s, owner, alice } = smallGroup();
    const rot = entryOn(s, owner, { kind: 'rotate' });
    const bad = entryOn(s, owner, { kind: 'role', memberId: alice.memberId, role: 'admin' }, { tweak: (c) => ({ ...c, recipients: rot.content.recipients }) });
    expectCode(() => foldPublicEntry(p, s, bad.bytes, rot.envelopes), ENVELOPE_MISMATCH);
  });

  it('invalid entries: adding a member twice, removing a non-member, self-removal, muting the owner', () => {
    const { s, owner, alice } = smallGroup();
    expectCode(() => apply(s, entryOn(s, owner, { kind: 'add', identityKeys: [alice.publicKey] })), INVALID_ENTRY);
    expectCode(() => apply(s, entryOn(s, owner, { kind: 'remove', memberIds: [identity().memberId] })), INVALID_ENTRY);
    expectCode(() => apply(s, entryOn(s, owner, { kind: 'remove', memberIds: [owner.memberId] })), INVALID_ENTRY);
    expectCode(() => apply(s, entryOn(s, owner, { kind: 'policy', policy: defaultPolicy({ mutedMembers: [owner.memberId] }) })), INVALID_ENTRY);
    expectCode(() => apply(s, entryOn(s, owner, { kind: 'role', memberId: alice.memberId, role: 'member' })), INVALID_ENTRY);
    const a = identity();
    const b = identity();
    // Joiners out of member-ID order (not canonical).
    const keys = sortKeysById([a.publicKey, b.publicKey]).reverse();
    expectCode(() => apply(s, entryOn(s, owner, { kind: 'add', identityKeys: keys })), INVALID_ENTRY);
  });
});

describe('public fold: 500 members', () => {
  it('adds up to 500 members, rejects the 501st, and removes one with 498 envelopes', () => {
    const owner = identity();
    let s = foldPublicGenesis(p, createEntry(owner));
    const others: TestIdentity[] = [];
    for (let i = 0; i < 499; i++) others.push(identity());
    s = apply(s, entryOn(s, owner, { kind: 'add', identityKeys: sortKeysById(others.map((o) => o.publicKey)) }));
    expect(memberCount(s)).toBe(500);
    expectCode(() => apply(s, entryOn(s, owner, { kind: 'add', identityKeys: [identity().publicKey] })), GROUP_FULL);
    const removal = entryOn(s, owner, { kind: 'remove', memberIds: [others[0]!.memberId] });
    expect(removal.envelopes.length).toBe(498);
    const s2 = apply(s, removal);
    expect(memberCount(s2)).toBe(499);
    expect(decodePublicGroupState(p, encodePublicGroupState(s2))).toEqual(s2);
  });
});
