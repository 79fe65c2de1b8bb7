// Builds membership log entries that pass crypto/'s public fold, for relay tests.
// Envelopes carry a well-formed header and random sealed bytes: the relay cannot open
// envelopes, so their contents do not matter to it. (Client-side commit builders replace
// this once crypto/src/log has them.)
import { signWithLabel } from '../../../crypto/src/kdf';
import { SIG } from '../../../crypto/src/labels';
import { foldPublicEntry, foldPublicGenesis, memberIdOf, type PublicGroupState } from '../../../crypto/src/log/public-fold';
import type { Primitives } from '../../../crypto/src/primitives/types';
import { encodeEnvelope, envelopeHashOf } from '../../../crypto/src/wire/envelope';
import {
  compareIds,
  encodeLogEntry,
  encodeLogEntryContent,
  type EntryBody,
  type GroupPolicy,
  type LogEntryContent,
} from '../../../crypto/src/wire/log-entry';

export interface Device {
  seed: Uint8Array;
  identityKey: Uint8Array;
  memberId: Uint8Array;
}

export function makeDevice(p: Primitives): Device {
  const seed = p.randomBytes(32);
  const identityKey = p.ed25519PublicKey(seed);
  return { seed, identityKey, memberId: memberIdOf(p, identityKey) };
}

export const DEFAULT_POLICY: GroupPolicy = {
  joinPolicy: 'approval',
  mayInvite: 'admins',
  mayEditInfo: 'admins',
  maySendMedia: 'members',
  groupMuted: false,
  mutedMembers: [],
  piiPolicy: new Uint8Array(0),
};

export interface Built {
  entry: Uint8Array;
  envelopes: Uint8Array[];
  state: PublicGroupState;
  /** false when the public fold rejects the entry (state is then the previous state). */
  valid?: boolean;
}

function sign(p: Primitives, actor: Device, content: LogEntryContent): Uint8Array {
  const contentBytes = encodeLogEntryContent(content);
  const confirmationMac = p.randomBytes(32);
  const signed = new Uint8Array(contentBytes.length + 32);
  signed.set(contentBytes);
  signed.set(confirmationMac, contentBytes.length);
  const signature = signWithLabel(p, actor.seed, SIG.LOG_ENTRY, signed);
  return encodeLogEntry({ ...content, confirmationMac, signature });
}

export function buildCreate(p: Primitives, owner: Device, policy: GroupPolicy = DEFAULT_POLICY, groupId = p.randomBytes(16)): Built {
  const entry = sign(p, owner, {
    version: 1,
    groupId,
    epoch: 0,
    prevHash: new Uint8Array(32),
    actor: owner.memberId,
    body: { kind: 'create', identityKey: owner.identityKey, policy },
    recipients: [],
  });
  return { entry, envelopes: [], state: foldPublicGenesis(p, entry) };
}

function envelopeFor(p: Primitives, state: PublicGroupState, epoch: number, recipient: Uint8Array, kind: 'welcome' | 'epoch-secret'): Uint8Array {
  return encodeEnvelope({
    version: 1,
    kind,
    groupId: state.groupId,
    epoch,
    recipient,
    prekeyKind: kind === 'welcome' ? 'one-time' : 'signed',
    prekeyId: 1,
    ephemeral: p.randomBytes(32),
    sealed: p.randomBytes(64),
  });
}

/** A later entry by `actor` on `state`; recipients as the fold requires. */
export function buildEntry(p: Primitives, actor: Device, state: PublicGroupState, body: EntryBody): Built {
  const epoch = state.epoch + 1;
  let recipientIds: Uint8Array[] = [];
  let kind: 'welcome' | 'epoch-secret' = 'epoch-secret';
  if (body.kind === 'add') {
    recipientIds = body.identityKeys.map((k) => memberIdOf(p, k));
    kind = 'welcome';
  } else if (body.kind === 'remove' || body.kind === 'rotate') {
    const removed = body.kind === 'remove' ? body.memberIds : [];
    recipientIds = state.members
      .map((m) => m.memberId)
      .filter((id) => !removed.some((r) => compareIds(r, id) === 0) && compareIds(id, actor.memberId) !== 0);
  }
  recipientIds.sort(compareIds);
  const envelopes = recipientIds.map((id) => envelopeFor(p, state, epoch, id, kind));
  const recipients = recipientIds.map((memberId, i) => ({ memberId, envelopeHash: envelopeHashOf(p, envelopes[i]!) }));
  const entry = sign(p, actor, { version: 1, groupId: state.groupId, epoch, prevHash: state.headHash, actor: actor.memberId, body, recipients });
  let next = state;
  let valid = true;
  try {
    next = foldPublicEntry(p, state, entry, envelopes);
  } catch {
    valid = false; // tests also build entries the fold must reject
  }
  return { entry, envelopes, state: next, valid };
}

export function buildAdd(p: Primitives, actor: Device, state: PublicGroupState, joiners: Device[]): Built {
  const sorted = [...joiners].sort((a, b) => compareIds(a.memberId, b.memberId));
  return buildEntry(p, actor, state, { kind: 'add', identityKeys: sorted.map((d) => d.identityKey) });
}

export function buildRemove(p: Primitives, actor: Device, state: PublicGroupState, removed: Device[]): Built {
  const ids = removed.map((d) => d.memberId).sort(compareIds);
  return buildEntry(p, actor, state, { kind: 'remove', memberIds: ids });
}

/** The sender index a group message header carries: the position in the ascending member list. */
export function senderIndexOf(state: PublicGroupState, memberId: Uint8Array): number {
  const i = state.members.findIndex((m) => compareIds(m.memberId, memberId) === 0);
  if (i < 0) throw new Error('not a member');
  return i;
}

/** Synthetic group-message bytes with a well-formed header (the relay reads only the header). */
export function fakeGroupMessage(groupId16: Uint8Array, epoch: number, generation: number, paddedBytes = 256, senderIndex = 0): Uint8Array {
  const out = new Uint8Array(27 + paddedBytes + 16 + 64);
  out[0] = 1;
  out.set(groupId16.subarray(0, 16), 1);
  new DataView(out.buffer).setUint32(17, epoch);
  new DataView(out.buffer).setUint16(21, senderIndex);
  new DataView(out.buffer).setUint32(23, generation);
  for (let i = 27; i < out.length; i++) out[i] = (i * 131 + generation) & 0xff;
  return out;
}
