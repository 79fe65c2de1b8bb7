// Commit builders: each returns the entry bytes, the envelopes it carries (in the order
// of its recipient list) and the committer's next state. Nothing is modified; a commit the
// public fold would reject throws the fold's E2eeError and returns nothing.
//
// The committer sends `entry` + `envelopes` to the relay (compare-and-swap on its head).
// If the relay accepts, the committer adopts `state`; if another commit won the race, it
// discards `state`, processes the winner (processEntry) and builds its commit again on the
// new head (rebase).
import { assertBytes, concatBytes, equalBytes, wipe } from '../bytes';
import { E2eeError } from '../errors';
import { signWithLabel } from '../kdf';
import { SIG } from '../labels';
import type { Primitives } from '../primitives/types';
import type { DeviceIdentity } from '../identity/identity';
import { memberIdOf } from '../identity/member-id';
import { generateEphemeral, sealEnvelope } from '../envelope/envelope';
import type { PrekeyKind } from '../wire/envelope';
import { envelopeHashOf } from '../wire/envelope';
import {
  compareIds,
  encodeLogEntryContent,
  entryHashOfContent,
  type EntryBody,
  type GroupPolicy,
  type LogEntryContent,
  type Role,
} from '../wire/log-entry';
import { encodeGroupInfo, type GroupInfo } from '../wire/group-info';
import { encodeWelcomePayload } from '../wire/welcome';
import { encodePublicGroupState } from '../wire/public-state';
import { encodePrekeyBundle, verifyPrekeyBundle, type PrekeyBundle } from '../wire/identity';
import {
  confirmationMac,
  deriveEpochKeys,
  deriveEpochSecret,
  deriveJoinerSecret,
  isFreshSecretKind,
} from '../epoch/schedule';
import { foldPublicEntry, foldPublicGenesis, pendingLeavers } from './public-fold';
import { sealGroupInfo } from './group-info-seal';
import { MISSING_PREKEY, NO_EPOCH_SECRET, NOT_A_MEMBER, type GroupMemberState } from './member-state';

/** A recipient's prekey, taken from a prekey bundle the committer verified. */
export interface RecipientPrekey {
  readonly prekeyKind: PrekeyKind;
  readonly prekeyId: number;
  readonly prekey: Uint8Array;
}

/** Looks up the prekey to box an epoch secret to a member (its signed prekey). */
export type PrekeyLookup = (memberId: Uint8Array) => RecipientPrekey | undefined;

export interface CommitResult {
  /** The signed entry to append. */
  readonly entry: Uint8Array;
  /** The envelopes it carries, in the order of its recipient list. */
  readonly envelopes: Uint8Array[];
  /** The committer's state once the relay accepts the entry. */
  readonly state: GroupMemberState;
}

function sign(p: Primitives, identity: DeviceIdentity, content: Uint8Array, mac: Uint8Array): Uint8Array {
  const signed = concatBytes(content, mac);
  return concatBytes(signed, signWithLabel(p, identity.seed, SIG.LOG_ENTRY, signed));
}

function checkIdentity(p: Primitives, identity: DeviceIdentity): void {
  assertBytes('identity.seed', identity?.seed, 32);
  assertBytes('identity.memberId', identity.memberId, 32);
}

interface Plan {
  body: EntryBody;
  /** Recipient IDs, ascending, and the payload each gets. */
  recipients: Uint8Array[];
  prekeyFor: (memberId: Uint8Array, index: number) => RecipientPrekey;
  payloadFor: (joinerSecret: Uint8Array) => Uint8Array | ((memberId: Uint8Array) => Uint8Array);
  envelopeKind: 'epoch-secret' | 'welcome' | null;
  groupInfo?: GroupInfo | null;
}

function build(p: Primitives, identity: DeviceIdentity, state: GroupMemberState, plan: Plan): CommitResult {
  const op = `commit ${plan.body.kind}`;
  checkIdentity(p, identity);
  if (state.removed) throw new E2eeError(NOT_A_MEMBER, 'this member is no longer in the group', op);
  if (!equalBytes(identity.memberId, state.self)) throw new TypeError('"identity" is not the member this state belongs to');
  const fresh = isFreshSecretKind(plan.body.kind);
  if (!fresh && !state.epochSecret) {
    throw new E2eeError(NO_EPOCH_SECRET, 'no epoch secret (alarm state): only a rotation can be committed', op);
  }
  const pub = state.public;
  const epoch = pub.epoch + 1;
  const joinerSecret = fresh ? p.randomBytes(32) : deriveJoinerSecret(p, state.epochSecret!, pub.groupId, epoch);

  const envelopes: Uint8Array[] = [];
  if (plan.envelopeKind) {
    const ephemeral = generateEphemeral(p);
    const payload = plan.payloadFor(joinerSecret);
    plan.recipients.forEach((memberId, i) => {
      const target = plan.prekeyFor(memberId, i);
      const bytes = typeof payload === 'function' ? payload(memberId) : payload;
      envelopes.push(
        sealEnvelope(
          p,
          { kind: plan.envelopeKind!, groupId: pub.groupId, epoch, recipient: memberId, ...target },
          ephemeral,
          bytes,
        ),
      );
    });
    wipe(ephemeral.privateKey);
  }

  const content: LogEntryContent = {
    version: 1,
    groupId: pub.groupId,
    epoch,
    prevHash: pub.headHash,
    actor: identity.memberId,
    body: plan.body,
    recipients: plan.recipients.map((memberId, i) => ({ memberId, envelopeHash: envelopeHashOf(p, envelopes[i]!) })),
  };
  const contentBytes = encodeLogEntryContent(content);
  const entryHash = entryHashOfContent(p, contentBytes);
  const epochSecret = deriveEpochSecret(p, joinerSecret, entryHash);
  wipe(joinerSecret);
  const keys = deriveEpochKeys(p, epochSecret, pub.groupId, epoch);
  const entry = sign(p, identity, contentBytes, confirmationMac(p, keys.confirmationKey, entryHash));
  wipe(keys.confirmationKey, keys.senderRoot, keys.groupInfoKey);

  // The committer runs the same public fold as everyone: an unauthorised or invalid commit
  // throws here and nothing is returned.
  const nextPublic = foldPublicEntry(p, pub, entry, envelopes);
  return {
    entry,
    envelopes,
    state: {
      ...state,
      public: nextPublic,
      epochSecret,
      groupInfo: plan.groupInfo === undefined ? state.groupInfo : plan.groupInfo,
      alarm: null,
    },
  };
}

function lookup(prekeys: PrekeyLookup, op: string): (memberId: Uint8Array) => RecipientPrekey {
  if (typeof prekeys !== 'function') throw new TypeError('"prekeys" expected a lookup function');
  return (memberId) => {
    const k = prekeys(memberId);
    if (!k) throw new E2eeError(MISSING_PREKEY, 'no prekey supplied for a recipient', op);
    assertBytes('prekey', k.prekey, 32);
    return k;
  };
}

function othersAfter(state: GroupMemberState, removed: readonly Uint8Array[]): Uint8Array[] {
  return state.public.members
    .filter((m) => !equalBytes(m.memberId, state.self) && !removed.some((r) => equalBytes(r, m.memberId)))
    .map((m) => m.memberId);
}

// --- the builders -----------------------------------------------------------------------

export interface CreateGroupOptions {
  readonly policy: GroupPolicy;
  /** 16 bytes; random when absent. */
  readonly groupId?: Uint8Array;
}

/** Starts a group: epoch 0, this device its owner and only member. */
export function createGroup(p: Primitives, identity: DeviceIdentity, opts: CreateGroupOptions): CommitResult {
  checkIdentity(p, identity);
  const groupId = opts.groupId ? assertBytes('groupId', opts.groupId, 16).slice() : p.randomBytes(16);
  const content: LogEntryContent = {
    version: 1,
    groupId,
    epoch: 0,
    prevHash: new Uint8Array(32),
    actor: identity.memberId,
    body: { kind: 'create', identityKey: identity.publicKey, policy: opts.policy },
    recipients: [],
  };
  const contentBytes = encodeLogEntryContent(content);
  const entryHash = entryHashOfContent(p, contentBytes);
  const joinerSecret = p.randomBytes(32);
  const epochSecret = deriveEpochSecret(p, joinerSecret, entryHash);
  wipe(joinerSecret);
  const keys = deriveEpochKeys(p, epochSecret, groupId, 0);
  const entry = sign(p, identity, contentBytes, confirmationMac(p, keys.confirmationKey, entryHash));
  wipe(keys.confirmationKey, keys.senderRoot, keys.groupInfoKey);
  const pub = foldPublicGenesis(p, entry);
  return {
    entry,
    envelopes: [],
    state: { version: 1, self: identity.memberId.slice(), public: pub, epochSecret, groupInfo: null, alarm: null, removed: false },
  };
}

/**
 * Adds members from their verified prekey bundles (verifyPrekeyBundle). Each joiner gets a
 * welcome (joiner secret, current group info, public state before the add) boxed to its
 * one-time prekey when the bundle has one, else to its signed prekey.
 */
export function commitAdd(p: Primitives, identity: DeviceIdentity, state: GroupMemberState, joiners: readonly PrekeyBundle[]): CommitResult {
  if (!Array.isArray(joiners) || joiners.length === 0) throw new TypeError('"joiners" expected a non-empty array of prekey bundles');
  // The welcome carries the joiner secret: a prekey the relay substituted would hand it the
  // new epoch. Every bundle's signatures are checked here, whatever the caller did.
  for (const b of joiners) verifyPrekeyBundle(p, encodePrekeyBundle(b));
  const sorted = joiners
    .map((b) => ({ b, id: memberIdOf(p, b.identityKey) }))
    .sort((x, y) => compareIds(x.id, y.id));
  const groupInfo = state.groupInfo ? encodeGroupInfo(state.groupInfo) : new Uint8Array(0);
  const publicState = encodePublicGroupState(state.public);
  return build(p, identity, state, {
    body: { kind: 'add', identityKeys: sorted.map((x) => x.b.identityKey) },
    recipients: sorted.map((x) => x.id),
    envelopeKind: 'welcome',
    prekeyFor: (_id, i) => {
      const b = sorted[i]!.b;
      const k = b.oneTimePrekey ?? b.signedPrekey;
      return { prekeyKind: b.oneTimePrekey ? 'one-time' : 'signed', prekeyId: k.id, prekey: k.publicKey };
    },
    payloadFor: (joinerSecret) => encodeWelcomePayload({ joinerSecret, groupInfo, publicState }),
  });
}

function freshCommit(
  p: Primitives,
  identity: DeviceIdentity,
  state: GroupMemberState,
  body: EntryBody,
  removed: readonly Uint8Array[],
  prekeys: PrekeyLookup,
): CommitResult {
  const find = lookup(prekeys, `commit ${body.kind}`);
  return build(p, identity, state, {
    body,
    recipients: othersAfter(state, removed),
    envelopeKind: 'epoch-secret',
    prekeyFor: (id) => find(id),
    payloadFor: (joinerSecret) => joinerSecret,
  });
}

/** Removes members; a fresh secret is boxed to every remaining member but the committer. */
export function commitRemove(
  p: Primitives,
  identity: DeviceIdentity,
  state: GroupMemberState,
  memberIds: readonly Uint8Array[],
  prekeys: PrekeyLookup,
): CommitResult {
  if (!Array.isArray(memberIds) || memberIds.length === 0) throw new TypeError('"memberIds" expected a non-empty array');
  const ids = memberIds.map((id, i) => assertBytes(`memberIds[${i}]`, id, 32).slice()).sort(compareIds);
  return freshCommit(p, identity, state, { kind: 'remove', memberIds: ids }, ids, prekeys);
}

/** Commits the removal of every member with a pending leave request (any member may). */
export function commitLeaveRemoval(p: Primitives, identity: DeviceIdentity, state: GroupMemberState, prekeys: PrekeyLookup): CommitResult {
  const leavers = pendingLeavers(state.public);
  if (leavers.length === 0) throw new E2eeError('E2E_ERR_NO_PENDING_LEAVE', 'no leave request is pending', 'commitLeaveRemoval');
  return commitRemove(p, identity, state, leavers, prekeys);
}

/** A fresh secret for everyone: heals an alarm, or refreshes after a compromise. */
export function commitRotate(p: Primitives, identity: DeviceIdentity, state: GroupMemberState, prekeys: PrekeyLookup): CommitResult {
  return freshCommit(p, identity, state, { kind: 'rotate' }, [], prekeys);
}

function simple(p: Primitives, identity: DeviceIdentity, state: GroupMemberState, body: EntryBody, groupInfo?: GroupInfo): CommitResult {
  return build(p, identity, state, {
    body,
    recipients: [],
    envelopeKind: null,
    prekeyFor: () => {
      throw new Error('unreachable');
    },
    payloadFor: () => new Uint8Array(0),
    ...(groupInfo ? { groupInfo } : {}),
  });
}

/**
 * Asks to leave. Not a commit of a new secret: the next epoch derives from the current one,
 * and the removal that follows (by another member) brings the fresh secret. The owner must
 * transfer ownership first.
 */
export function requestLeave(p: Primitives, identity: DeviceIdentity, state: GroupMemberState): CommitResult {
  return simple(p, identity, state, { kind: 'leave-request' });
}

export function commitRole(p: Primitives, identity: DeviceIdentity, state: GroupMemberState, memberId: Uint8Array, role: Role): CommitResult {
  return simple(p, identity, state, { kind: 'role', memberId: assertBytes('memberId', memberId, 32).slice(), role });
}

export function commitPolicy(p: Primitives, identity: DeviceIdentity, state: GroupMemberState, policy: GroupPolicy): CommitResult {
  return simple(p, identity, state, { kind: 'policy', policy });
}

/** Publishes new group info, sealed under the current epoch's group-info key. */
export function commitGroupInfo(p: Primitives, identity: DeviceIdentity, state: GroupMemberState, info: GroupInfo): CommitResult {
  if (!state.epochSecret) throw new E2eeError(NO_EPOCH_SECRET, 'no epoch secret (alarm state)', 'commit group-info');
  const keys = deriveEpochKeys(p, state.epochSecret, state.public.groupId, state.public.epoch);
  const sealedInfo = sealGroupInfo(p, keys.groupInfoKey, state.public.groupId, state.public.epoch + 1, info);
  wipe(keys.groupInfoKey, keys.senderRoot, keys.confirmationKey);
  return simple(p, identity, state, { kind: 'group-info', sealedInfo }, info);
}

export function commitTransferOwnership(p: Primitives, identity: DeviceIdentity, state: GroupMemberState, newOwner: Uint8Array): CommitResult {
  return simple(p, identity, state, { kind: 'transfer-ownership', newOwner: assertBytes('newOwner', newOwner, 32).slice() });
}

export function commitDissolve(p: Primitives, identity: DeviceIdentity, state: GroupMemberState): CommitResult {
  return simple(p, identity, state, { kind: 'dissolve' });
}
