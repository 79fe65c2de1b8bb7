// The public fold of the membership log: what anyone without keys can check (the relay
// runs it on every append; every client runs it before the private fold).
//
// Pure: bytes and state in, new state out; the input state is never modified. Each rule
// that rejects an entry throws E2eeError with its own stable code (below). The rules
// and their order are specified in docs/PROTOCOL.md "Public fold".
import { assertBytes, equalBytes } from '../bytes';
import { BAD_PUBLIC_KEY, BAD_SIGNATURE, E2eeError, isE2eeError, MALFORMED } from '../errors';
import { memberIdOf } from '../identity/member-id';
import { verifyWithLabel } from '../kdf';
import { SIG } from '../labels';
import { MAX_GROUP_MEMBERS } from '../limits';
import type { Primitives } from '../primitives/types';
import { decodeEnvelopeHeader, envelopeHashOf, type EnvelopeKind } from '../wire/envelope';
import {
  compareIds,
  decodeLogEntry,
  headHashOfEntry,
  logEntrySignedPartOf,
  type EntryKind,
  type GroupPolicy,
  type LogEntry,
  type Permission,
  type Role,
} from '../wire/log-entry';
import { findMemberIndex, type PublicGroupState, type PublicMember } from '../wire/public-state';

export { decodePublicGroupState, encodePublicGroupState, findMemberIndex } from '../wire/public-state';
export type { PublicGroupState, PublicMember } from '../wire/public-state';
export { decodeEnvelopeHeader, decodeEnvelopeRecipient, envelopeHashOf } from '../wire/envelope';
export type { EnvelopeHeader } from '../wire/envelope';
export { decodeLogEntry, headHashOfEntry } from '../wire/log-entry';
export type { EntryBody, EntryKind, GroupPolicy, JoinPolicy, LogEntry, Permission, Role } from '../wire/log-entry';
export { memberIdOf } from '../identity/member-id';

// --- stable error codes of the fold ------------------------------------------------

/** The actor is not a member, has a pending leave, or its role/the policy does not allow the change. */
export const UNAUTHORISED = 'E2E_ERR_UNAUTHORISED';
/** prevHash is not the current head, or the epoch is not the next one. */
export const BROKEN_CHAIN = 'E2E_ERR_BROKEN_CHAIN';
/** The entry belongs to another group. */
export const WRONG_GROUP = 'E2E_ERR_WRONG_GROUP';
/** The recipients listed, or the envelopes supplied, do not match what the entry kind requires. */
export const ENVELOPE_MISMATCH = 'E2E_ERR_ENVELOPE_MISMATCH';
/** The change would take the group past MAX_GROUP_MEMBERS. */
export const GROUP_FULL = 'E2E_ERR_GROUP_FULL';
/** The entry is well-formed but makes no sense on this state (adds a member twice, removes a non-member, ...). */
export const INVALID_ENTRY = 'E2E_ERR_INVALID_ENTRY';
/** The group was dissolved; nothing can follow the dissolve entry. */
export const GROUP_DISSOLVED = 'E2E_ERR_GROUP_DISSOLVED';
/** The owner asked to leave without transferring ownership first. */
export const OWNER_CANNOT_LEAVE = 'E2E_ERR_OWNER_CANNOT_LEAVE';
export { BAD_PUBLIC_KEY, BAD_SIGNATURE, MALFORMED } from '../errors';

const ZERO_HASH = new Uint8Array(32);

function fail(code: string, message: string, operation: string): never {
  throw new E2eeError(code, message, operation);
}

// --- helpers the relay and the client use ---------------------------------------------

export function headHash(state: PublicGroupState): Uint8Array {
  return state.headHash.slice();
}

export function epoch(state: PublicGroupState): number {
  return state.epoch;
}

export function memberCount(state: PublicGroupState): number {
  return state.members.length;
}

export function memberOf(state: PublicGroupState, memberId: Uint8Array): PublicMember | undefined {
  const i = findMemberIndex(state.members, memberId);
  return i < 0 ? undefined : state.members[i];
}

export function isMember(state: PublicGroupState, memberId: Uint8Array): boolean {
  return findMemberIndex(state.members, memberId) >= 0;
}

export function roleOf(state: PublicGroupState, memberId: Uint8Array): Role | undefined {
  return memberOf(state, memberId)?.role;
}

/** Whether `role` is admitted by `permission` (owner only / owner and admins / every member). */
export function permits(permission: Permission, role: Role): boolean {
  if (permission === 'members') return true;
  if (permission === 'admins') return role === 'owner' || role === 'admin';
  return role === 'owner';
}

/**
 * Whether the relay serves this member at all (history, live messages, appends): a
 * member of a live group without a pending leave request. A leaver is cut off at once.
 */
export function isServed(state: PublicGroupState, memberId: Uint8Array): boolean {
  const m = memberOf(state, memberId);
  return !!m && !m.leaveRequested && !state.dissolved;
}

function isMuted(state: PublicGroupState, memberId: Uint8Array): boolean {
  return state.policy.mutedMembers.some((id) => equalBytes(id, memberId));
}

/** Whether a member may send a message now: served, not muted, and not silenced by a whole-group mute. */
export function canSendMessage(state: PublicGroupState, memberId: Uint8Array): boolean {
  const m = memberOf(state, memberId);
  if (!m || m.leaveRequested || state.dissolved) return false;
  if (isMuted(state, memberId)) return false;
  if (state.policy.groupMuted && m.role === 'member') return false;
  return true;
}

/** canSendMessage, and the policy lets this member's role send files and media. */
export function canSendMedia(state: PublicGroupState, memberId: Uint8Array): boolean {
  const role = roleOf(state, memberId);
  return canSendMessage(state, memberId) && !!role && permits(state.policy.maySendMedia, role);
}

/** Whether this member may commit an add (invite) under the current policy. */
export function canInvite(state: PublicGroupState, memberId: Uint8Array): boolean {
  const m = memberOf(state, memberId);
  if (!m || m.leaveRequested || state.dissolved) return false;
  return mayAdd(state.policy, m.role);
}

export function canEditInfo(state: PublicGroupState, memberId: Uint8Array): boolean {
  const m = memberOf(state, memberId);
  return !!m && !m.leaveRequested && !state.dissolved && permits(state.policy.mayEditInfo, m.role);
}

/**
 * A leave request is on the log with no removal yet. A client must not send in this
 * epoch; an authorised member's client commits the removal first.
 */
export function hasPendingRemoval(state: PublicGroupState): boolean {
  return state.members.some((m) => m.leaveRequested);
}

/** Members with a pending leave request, ascending. */
export function pendingLeavers(state: PublicGroupState): Uint8Array[] {
  return state.members.filter((m) => m.leaveRequested).map((m) => m.memberId.slice());
}

function mayAdd(policy: GroupPolicy, role: Role): boolean {
  if (policy.joinPolicy === 'open') return true;
  if (policy.joinPolicy === 'approval' && role !== 'member') return true;
  return permits(policy.mayInvite, role);
}

/**
 * The recipients an entry of `kind` must list, in order, given the state before it and
 * the members after it: joiners for an add, every remaining member but the actor for a
 * remove or rotate, nobody otherwise.
 */
export function requiredRecipients(
  kind: EntryKind,
  actor: Uint8Array,
  membersAfter: readonly PublicMember[],
  joiners: readonly Uint8Array[],
): Uint8Array[] {
  if (kind === 'add') return [...joiners];
  if (kind === 'remove' || kind === 'rotate') {
    return membersAfter.filter((m) => !equalBytes(m.memberId, actor)).map((m) => m.memberId);
  }
  return [];
}

/** The envelope kind an entry of `kind` carries, or null when it carries none. */
export function envelopeKindFor(kind: EntryKind): EnvelopeKind | null {
  if (kind === 'add') return 'welcome';
  if (kind === 'remove' || kind === 'rotate') return 'epoch-secret';
  return null;
}

// --- genesis ----------------------------------------------------------------------

/** Folds the create entry (epoch 0) into the first public state. */
export function foldPublicGenesis(p: Primitives, entryBytes: Uint8Array): PublicGroupState {
  const op = 'foldPublicGenesis';
  assertBytes('entryBytes', entryBytes);
  const entry = decodeLogEntry(entryBytes);
  if (entry.body.kind !== 'create') fail(INVALID_ENTRY, 'the first entry must be a create entry', op);
  if (entry.epoch !== 0 || !equalBytes(entry.prevHash, ZERO_HASH)) {
    fail(BROKEN_CHAIN, 'a create entry starts epoch 0 with a zero prevHash', op);
  }
  const { identityKey, policy } = entry.body;
  if (!p.ed25519IsAcceptablePublicKey(identityKey)) fail(BAD_PUBLIC_KEY, 'creator identity key rejected', op);
  if (!equalBytes(memberIdOf(p, identityKey), entry.actor)) {
    fail(INVALID_ENTRY, 'actor is not the member ID of the creator identity key', op);
  }
  if (!verifyWithLabel(p, identityKey, SIG.LOG_ENTRY, logEntrySignedPartOf(entryBytes), entry.signature)) {
    fail(BAD_SIGNATURE, 'log entry signature does not verify', op);
  }
  if (policy.mutedMembers.length !== 0) fail(INVALID_ENTRY, 'a new group cannot have muted members', op);
  if (entry.recipients.length !== 0) fail(ENVELOPE_MISMATCH, 'a create entry carries no envelopes', op);
  return {
    version: 1,
    groupId: entry.groupId,
    epoch: 0,
    headHash: headHashOfEntry(p, entryBytes),
    dissolved: false,
    policy,
    members: [{ memberId: entry.actor, identityKey, role: 'owner', leaveRequested: false }],
  };
}

// --- every later entry --------------------------------------------------------------

/**
 * Folds one entry on top of `state`. `envelopes` are the envelopes the entry carries, in
 * the order of its recipient list. Returns the new state; throws E2eeError otherwise.
 */
export function foldPublicEntry(
  p: Primitives,
  state: PublicGroupState,
  entryBytes: Uint8Array,
  envelopes: readonly Uint8Array[],
): PublicGroupState {
  assertBytes('entryBytes', entryBytes);
  if (!Array.isArray(envelopes)) throw new TypeError('"envelopes" expected an array of Uint8Array');
  envelopes.forEach((e, i) => assertBytes(`envelopes[${i}]`, e));
  return foldChecked(p, state, entryBytes, decodeLogEntry(entryBytes), envelopes, 'foldPublicEntry');
}

/**
 * The public fold as a member runs it: every rule of foldPublicEntry, but only this
 * member's own envelope is checked against its listed hash and header (the others are
 * checked by their recipients and by the relay). `ownEnvelope` must be given when `self`
 * is a listed recipient. Returns the new state and the decoded entry.
 */
export function foldPublicEntryAsMember(
  p: Primitives,
  state: PublicGroupState,
  entryBytes: Uint8Array,
  self: Uint8Array,
  ownEnvelope: Uint8Array | null,
): { state: PublicGroupState; entry: LogEntry } {
  assertBytes('entryBytes', entryBytes);
  assertBytes('self', self, 32);
  if (ownEnvelope !== null) assertBytes('ownEnvelope', ownEnvelope);
  const entry = decodeLogEntry(entryBytes);
  const slots: (Uint8Array | null)[] = entry.recipients.map((r) => (equalBytes(r.memberId, self) ? ownEnvelope : null));
  if (slots.some((s, i) => s === null && equalBytes(entry.recipients[i]!.memberId, self))) {
    fail(ENVELOPE_MISMATCH, 'this member is a recipient but its envelope is missing', 'foldPublicEntryAsMember');
  }
  return { state: foldChecked(p, state, entryBytes, entry, slots, 'foldPublicEntryAsMember'), entry };
}

function foldChecked(
  p: Primitives,
  state: PublicGroupState,
  entryBytes: Uint8Array,
  entry: LogEntry,
  envelopes: readonly (Uint8Array | null)[],
  op: string,
): PublicGroupState {

  if (state.dissolved) fail(GROUP_DISSOLVED, 'the group was dissolved', op);
  if (!equalBytes(entry.groupId, state.groupId)) fail(WRONG_GROUP, 'entry is for another group', op);
  if (entry.epoch !== state.epoch + 1) fail(BROKEN_CHAIN, 'entry epoch is not the next epoch', op);
  if (!equalBytes(entry.prevHash, state.headHash)) fail(BROKEN_CHAIN, 'prevHash is not the current head', op);

  const actor = memberOf(state, entry.actor);
  if (!actor) fail(UNAUTHORISED, 'actor is not a member', op);
  if (!verifyWithLabel(p, actor.identityKey, SIG.LOG_ENTRY, logEntrySignedPartOf(entryBytes), entry.signature)) {
    fail(BAD_SIGNATURE, 'log entry signature does not verify', op);
  }
  if (actor.leaveRequested) fail(UNAUTHORISED, 'actor has a pending leave request', op);

  const { members, policy, dissolved, joiners } = applyBody(p, state, entry, actor, op);

  if (members.length > MAX_GROUP_MEMBERS) fail(GROUP_FULL, `group would exceed ${MAX_GROUP_MEMBERS} members`, op);
  checkRecipientsAndEnvelopes(p, entry, members, joiners, envelopes, op);

  return {
    version: 1,
    groupId: state.groupId,
    epoch: entry.epoch,
    headHash: headHashOfEntry(p, entryBytes),
    dissolved,
    policy,
    members,
  };
}

interface Applied {
  members: PublicMember[];
  policy: GroupPolicy;
  dissolved: boolean;
  joiners: Uint8Array[];
}

function applyBody(p: Primitives, state: PublicGroupState, entry: LogEntry, actor: PublicMember, op: string): Applied {
  const body = entry.body;
  let members = state.members.slice();
  let policy = state.policy;
  let dissolved = false;
  const joiners: Uint8Array[] = [];
  const isOwner = actor.role === 'owner';
  const isAdmin = actor.role === 'admin';

  switch (body.kind) {
    case 'create':
      fail(INVALID_ENTRY, 'create may only start a log', op);
    case 'add': {
      if (!mayAdd(policy, actor.role)) fail(UNAUTHORISED, 'actor may not add members under the current policy', op);
      for (const key of body.identityKeys) {
        if (!p.ed25519IsAcceptablePublicKey(key)) fail(BAD_PUBLIC_KEY, 'joiner identity key rejected', op);
        const id = memberIdOf(p, key);
        if (joiners.length > 0 && compareIds(joiners[joiners.length - 1]!, id) >= 0) {
          fail(INVALID_ENTRY, 'joiners must be listed once each, ascending by member ID', op);
        }
        if (findMemberIndex(state.members, id) >= 0) fail(INVALID_ENTRY, 'joiner is already a member', op);
        joiners.push(id);
        members.push({ memberId: id, identityKey: key, role: 'member', leaveRequested: false });
      }
      members.sort((a, b) => compareIds(a.memberId, b.memberId));
      break;
    }
    case 'remove': {
      for (const id of body.memberIds) {
        const target = memberOf(state, id);
        if (!target) fail(INVALID_ENTRY, 'removed member is not a member', op);
        if (equalBytes(id, actor.memberId)) fail(INVALID_ENTRY, 'an actor cannot remove itself (request to leave)', op);
        if (target.role === 'owner') fail(UNAUTHORISED, 'the owner cannot be removed', op);
        const allowed = target.leaveRequested || isOwner || (isAdmin && target.role === 'member');
        if (!allowed) fail(UNAUTHORISED, 'actor may not remove this member', op);
      }
      members = members.filter((m) => !body.memberIds.some((id) => equalBytes(id, m.memberId)));
      policy = withoutMuted(policy, body.memberIds);
      break;
    }
    case 'leave-request':
      if (isOwner) fail(OWNER_CANNOT_LEAVE, 'the owner must transfer ownership before leaving', op);
      members = members.map((m) => (m === actor ? { ...m, leaveRequested: true } : m));
      break;
    case 'role': {
      if (!isOwner) fail(UNAUTHORISED, 'only the owner changes roles', op);
      const target = memberOf(state, body.memberId);
      if (!target) fail(INVALID_ENTRY, 'role target is not a member', op);
      if (body.role === 'owner') fail(INVALID_ENTRY, 'ownership moves only by a transfer entry', op);
      if (target.role === 'owner') fail(INVALID_ENTRY, "the owner's role changes only by a transfer entry", op);
      if (target.role === body.role) fail(INVALID_ENTRY, 'role change changes nothing', op);
      members = members.map((m) => (m === target ? { ...m, role: body.role } : m));
      break;
    }
    case 'policy': {
      if (!isOwner && !isAdmin) fail(UNAUTHORISED, 'only the owner and admins change the policy', op);
      for (const id of body.policy.mutedMembers) {
        const target = memberOf(state, id);
        if (!target) fail(INVALID_ENTRY, 'muted member is not a member', op);
        if (target.role === 'owner') fail(INVALID_ENTRY, 'the owner cannot be muted', op);
      }
      policy = body.policy;
      break;
    }
    case 'group-info':
      if (!permits(policy.mayEditInfo, actor.role)) fail(UNAUTHORISED, 'actor may not edit the group info', op);
      break;
    case 'rotate':
      break;
    case 'transfer-ownership': {
      if (!isOwner) fail(UNAUTHORISED, 'only the owner transfers ownership', op);
      const target = memberOf(state, body.newOwner);
      if (!target || equalBytes(target.memberId, actor.memberId)) fail(INVALID_ENTRY, 'new owner must be another member', op);
      if (target.leaveRequested) fail(INVALID_ENTRY, 'new owner has a pending leave request', op);
      members = members.map((m) => {
        if (m === target) return { ...m, role: 'owner' as const };
        if (m === actor) return { ...m, role: 'admin' as const };
        return m;
      });
      policy = withoutMuted(policy, [target.memberId]);
      break;
    }
    case 'dissolve':
      if (!isOwner) fail(UNAUTHORISED, 'only the owner dissolves the group', op);
      dissolved = true;
      break;
  }
  return { members, policy, dissolved, joiners };
}

function withoutMuted(policy: GroupPolicy, ids: readonly Uint8Array[]): GroupPolicy {
  const kept = policy.mutedMembers.filter((m) => !ids.some((id) => equalBytes(id, m)));
  return kept.length === policy.mutedMembers.length ? policy : { ...policy, mutedMembers: kept };
}

function checkRecipientsAndEnvelopes(
  p: Primitives,
  entry: LogEntry,
  membersAfter: readonly PublicMember[],
  joiners: readonly Uint8Array[],
  envelopes: readonly (Uint8Array | null)[],
  op: string,
): void {
  const required = requiredRecipients(entry.body.kind, entry.actor, membersAfter, joiners);
  const listed = entry.recipients;
  if (listed.length !== required.length) {
    fail(ENVELOPE_MISMATCH, `entry lists ${listed.length} recipients, the rules require ${required.length}`, op);
  }
  for (let i = 0; i < required.length; i++) {
    if (!equalBytes(listed[i]!.memberId, required[i]!)) fail(ENVELOPE_MISMATCH, `recipient ${i} is not the required member`, op);
  }
  if (envelopes.length !== listed.length) {
    fail(ENVELOPE_MISMATCH, `${envelopes.length} envelopes supplied for ${listed.length} recipients`, op);
  }
  const kind = envelopeKindFor(entry.body.kind);
  for (let i = 0; i < envelopes.length; i++) {
    const env = envelopes[i];
    if (env === null || env === undefined) continue;
    if (!equalBytes(envelopeHashOf(p, env), listed[i]!.envelopeHash)) {
      fail(ENVELOPE_MISMATCH, `envelope ${i} does not match the hash the entry lists`, op);
    }
    let header;
    try {
      header = decodeEnvelopeHeader(env);
    } catch (e) {
      if (isE2eeError(e, MALFORMED)) fail(ENVELOPE_MISMATCH, `envelope ${i} is malformed`, op);
      throw e;
    }
    if (
      header.kind !== kind ||
      !equalBytes(header.recipient, listed[i]!.memberId) ||
      !equalBytes(header.groupId, entry.groupId) ||
      header.epoch !== entry.epoch
    ) {
      fail(ENVELOPE_MISMATCH, `envelope ${i} header does not match its recipient, group, epoch or kind`, op);
    }
  }
}
