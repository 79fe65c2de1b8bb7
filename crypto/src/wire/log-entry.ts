// Membership log entry: wire format, strict decoder, and the hashes the protocol
// computes over it. Byte diagram: docs/PROTOCOL.md "Log entry".
//
//   entry   = content || confirmationMac[32] || signature[64]
//   content = u8 version(=1) || u8 kind || groupId[16] || u32 epoch || prevHash[32]
//             || actor[32] || body(kind) || u16 n || n * (recipient[32] || envelopeHash[32])
//
// The signature (label "sig log entry") covers content || confirmationMac, so it covers
// every envelope hash. The entry hash (key schedule input) covers content only; the
// head hash (chain link, transcript hash) covers the whole entry.
import { assertBytes, assertInteger } from '../bytes';
import { HASH } from '../labels';
import {
  MAX_GROUP_MEMBERS,
  MAX_JOINERS_PER_ADD,
  MAX_LOG_ENTRY_BYTES,
  MAX_PII_POLICY_BYTES,
  MAX_SEALED_GROUP_INFO_BYTES,
} from '../limits';
import type { Primitives } from '../primitives/types';
import { labelledHash } from '../identity/labelled-hash';
import { assertVersion, WireReader, WireWriter } from './codec';

export const LOG_ENTRY_VERSION = 1;
/** Group IDs are 16 random bytes (the message header carries them too). */
export const GROUP_ID_BYTES = 16;
/** Epochs are u32 on every wire structure; a log ends at this epoch. */
export const MAX_EPOCH = 0xffffffff;
export const HASH_BYTES = 32;
export const CONFIRMATION_MAC_BYTES = 32;
export const SIGNATURE_BYTES = 64;
/** Bytes after the content: confirmation MAC then signature. */
export const ENTRY_TRAILER_BYTES = CONFIRMATION_MAC_BYTES + SIGNATURE_BYTES;

/** Entry kinds and their wire values. */
export const ENTRY_KIND = {
  create: 1,
  add: 2,
  remove: 3,
  'leave-request': 4,
  role: 5,
  policy: 6,
  'group-info': 7,
  rotate: 8,
  'transfer-ownership': 9,
  dissolve: 10,
} as const;
export type EntryKind = keyof typeof ENTRY_KIND;
/** The name of each wire value of a name -> value table. */
function byValue<K extends string>(table: Record<K, number>): Map<number, K> {
  return new Map((Object.keys(table) as K[]).map((k) => [table[k], k]));
}
const KIND_BY_VALUE = byValue(ENTRY_KIND);

/** Member roles. Exactly one owner per live group. */
export const ROLE = { owner: 1, admin: 2, member: 3 } as const;
export type Role = keyof typeof ROLE;
const ROLE_BY_VALUE = byValue(ROLE);

/** Who may join: by an open link (any member's client commits), with admin approval, or by invitation only. */
export const JOIN_POLICY = { open: 1, approval: 2, 'invite-only': 3 } as const;
export type JoinPolicy = keyof typeof JOIN_POLICY;
const JOIN_BY_VALUE = byValue(JOIN_POLICY);

/** The lowest role a permission admits: only the owner, owner and admins, or every member. */
export const PERMISSION = { owner: 1, admins: 2, members: 3 } as const;
export type Permission = keyof typeof PERMISSION;
const PERMISSION_BY_VALUE = byValue(PERMISSION);

export interface GroupPolicy {
  readonly joinPolicy: JoinPolicy;
  readonly mayInvite: Permission;
  readonly mayEditInfo: Permission;
  readonly maySendMedia: Permission;
  /** Whole-group mute: only the owner and admins may send messages. */
  readonly groupMuted: boolean;
  /** Member IDs that may not send messages, strictly ascending. */
  readonly mutedMembers: readonly Uint8Array[];
  /** The PII redaction policy, opaque to the log (crypto/src/redact defines it). */
  readonly piiPolicy: Uint8Array;
}

export type EntryBody =
  | { readonly kind: 'create'; readonly identityKey: Uint8Array; readonly policy: GroupPolicy }
  | { readonly kind: 'add'; readonly identityKeys: readonly Uint8Array[] }
  | { readonly kind: 'remove'; readonly memberIds: readonly Uint8Array[] }
  | { readonly kind: 'leave-request' }
  | { readonly kind: 'role'; readonly memberId: Uint8Array; readonly role: Role }
  | { readonly kind: 'policy'; readonly policy: GroupPolicy }
  | { readonly kind: 'group-info'; readonly sealedInfo: Uint8Array }
  | { readonly kind: 'rotate' }
  | { readonly kind: 'transfer-ownership'; readonly newOwner: Uint8Array }
  | { readonly kind: 'dissolve' };

export interface EntryRecipient {
  readonly memberId: Uint8Array;
  readonly envelopeHash: Uint8Array;
}

/** Everything the signature and the MAC cover. */
export interface LogEntryContent {
  readonly version: 1;
  readonly groupId: Uint8Array;
  /** Epoch this entry starts; the create entry starts epoch 0. */
  readonly epoch: number;
  /** Head hash of the previous entry; 32 zero bytes for the create entry. */
  readonly prevHash: Uint8Array;
  /** Member ID of the signer. */
  readonly actor: Uint8Array;
  readonly body: EntryBody;
  /** Strictly ascending by member ID. */
  readonly recipients: readonly EntryRecipient[];
}

export interface LogEntry extends LogEntryContent {
  readonly confirmationMac: Uint8Array;
  readonly signature: Uint8Array;
}

// --- policy ---------------------------------------------------------------------

export function writePolicy(w: WireWriter, policy: GroupPolicy): void {
  w.u8(JOIN_POLICY[policy.joinPolicy])
    .u8(PERMISSION[policy.mayInvite])
    .u8(PERMISSION[policy.mayEditInfo])
    .u8(PERMISSION[policy.maySendMedia])
    .u8(policy.groupMuted ? 1 : 0);
  if (policy.mutedMembers.length > MAX_GROUP_MEMBERS) throw new RangeError('"mutedMembers" exceeds the group size');
  assertAscending('mutedMembers', policy.mutedMembers);
  w.u16(policy.mutedMembers.length);
  for (const id of policy.mutedMembers) w.fixed(id, 32);
  w.bytes16(policy.piiPolicy, MAX_PII_POLICY_BYTES);
}

function enumOf<T>(r: WireReader, field: string, table: Map<number, T>): T {
  const v = r.u8(field);
  const out = table.get(v);
  if (out === undefined) r.fail(field, `unknown value ${v}`);
  return out;
}

export function readPolicy(r: WireReader): GroupPolicy {
  const joinPolicy = enumOf(r, 'policy.joinPolicy', JOIN_BY_VALUE);
  const mayInvite = enumOf(r, 'policy.mayInvite', PERMISSION_BY_VALUE);
  const mayEditInfo = enumOf(r, 'policy.mayEditInfo', PERMISSION_BY_VALUE);
  const maySendMedia = enumOf(r, 'policy.maySendMedia', PERMISSION_BY_VALUE);
  const muted = r.u8('policy.groupMuted');
  if (muted > 1) r.fail('policy.groupMuted', `unknown value ${muted}`);
  const n = r.u16('policy.mutedMembers');
  if (n > MAX_GROUP_MEMBERS) r.fail('policy.mutedMembers', `count ${n} exceeds ${MAX_GROUP_MEMBERS}`);
  const mutedMembers = readAscendingIds(r, 'policy.mutedMembers', n);
  const piiPolicy = r.bytes16('policy.piiPolicy', MAX_PII_POLICY_BYTES);
  return { joinPolicy, mayInvite, mayEditInfo, maySendMedia, groupMuted: muted === 1, mutedMembers, piiPolicy };
}

/** Byte-wise comparison of equal-length IDs: negative, zero or positive. */
export function compareIds(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function assertAscending(name: string, ids: readonly Uint8Array[]): void {
  for (let i = 0; i < ids.length; i++) {
    assertBytes(`${name}[${i}]`, ids[i], 32);
    if (i > 0 && compareIds(ids[i - 1]!, ids[i]!) >= 0) {
      throw new RangeError(`"${name}" must be strictly ascending (sorted, no duplicates)`);
    }
  }
}

function readAscendingIds(r: WireReader, field: string, n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const id = r.fixed(field, 32);
    if (i > 0 && compareIds(out[i - 1]!, id) >= 0) r.fail(field, 'not strictly ascending');
    out.push(id);
  }
  return out;
}

// --- entry ----------------------------------------------------------------------

function writeBody(w: WireWriter, body: EntryBody): void {
  switch (body.kind) {
    case 'create':
      w.fixed(body.identityKey, 32);
      writePolicy(w, body.policy);
      return;
    case 'add':
      if (body.identityKeys.length < 1 || body.identityKeys.length > MAX_JOINERS_PER_ADD) {
        throw new RangeError(`"identityKeys" expected 1..${MAX_JOINERS_PER_ADD} keys`);
      }
      w.u16(body.identityKeys.length);
      for (const k of body.identityKeys) w.fixed(k, 32);
      return;
    case 'remove':
      if (body.memberIds.length < 1 || body.memberIds.length > MAX_GROUP_MEMBERS) {
        throw new RangeError(`"memberIds" expected 1..${MAX_GROUP_MEMBERS} IDs`);
      }
      assertAscending('memberIds', body.memberIds);
      w.u16(body.memberIds.length);
      for (const id of body.memberIds) w.fixed(id, 32);
      return;
    case 'role':
      w.fixed(body.memberId, 32).u8(ROLE[body.role]);
      return;
    case 'policy':
      writePolicy(w, body.policy);
      return;
    case 'group-info':
      w.bytes32(body.sealedInfo, MAX_SEALED_GROUP_INFO_BYTES);
      return;
    case 'transfer-ownership':
      w.fixed(body.newOwner, 32);
      return;
    case 'leave-request':
    case 'rotate':
    case 'dissolve':
      return;
  }
}

function readBody(r: WireReader, kind: EntryKind): EntryBody {
  switch (kind) {
    case 'create': {
      const identityKey = r.fixed('create.identityKey', 32);
      return { kind, identityKey, policy: readPolicy(r) };
    }
    case 'add': {
      const n = r.u16('add.count');
      if (n < 1 || n > MAX_JOINERS_PER_ADD) r.fail('add.count', `count ${n} outside 1..${MAX_JOINERS_PER_ADD}`);
      const identityKeys: Uint8Array[] = [];
      for (let i = 0; i < n; i++) identityKeys.push(r.fixed('add.identityKey', 32));
      return { kind, identityKeys };
    }
    case 'remove': {
      const n = r.u16('remove.count');
      if (n < 1 || n > MAX_GROUP_MEMBERS) r.fail('remove.count', `count ${n} outside 1..${MAX_GROUP_MEMBERS}`);
      return { kind, memberIds: readAscendingIds(r, 'remove.memberId', n) };
    }
    case 'role': {
      const memberId = r.fixed('role.memberId', 32);
      return { kind, memberId, role: enumOf(r, 'role.role', ROLE_BY_VALUE) };
    }
    case 'policy':
      return { kind, policy: readPolicy(r) };
    case 'group-info':
      return { kind, sealedInfo: r.bytes32('groupInfo.sealed', MAX_SEALED_GROUP_INFO_BYTES, 1) };
    case 'transfer-ownership':
      return { kind, newOwner: r.fixed('transfer.newOwner', 32) };
    case 'leave-request':
    case 'rotate':
    case 'dissolve':
      return { kind };
  }
}

/** The content bytes: what the entry hash covers and the signature covers (with the MAC). */
export function encodeLogEntryContent(content: LogEntryContent): Uint8Array {
  assertVersion(content.version, LOG_ENTRY_VERSION);
  assertInteger('epoch', content.epoch, 0, MAX_EPOCH);
  if (!ENTRY_KIND[content.body?.kind]) throw new TypeError('"body.kind" is not an entry kind');
  if (content.recipients.length > MAX_GROUP_MEMBERS) throw new RangeError('"recipients" exceeds the group size');
  const w = new WireWriter(256 + content.recipients.length * 64);
  w.u8(LOG_ENTRY_VERSION)
    .u8(ENTRY_KIND[content.body.kind])
    .fixed(content.groupId, GROUP_ID_BYTES)
    .u32(content.epoch)
    .fixed(content.prevHash, HASH_BYTES)
    .fixed(content.actor, 32);
  writeBody(w, content.body);
  assertAscending(
    'recipients',
    content.recipients.map((x) => x.memberId),
  );
  w.u16(content.recipients.length);
  for (const rcp of content.recipients) w.fixed(rcp.memberId, 32).fixed(rcp.envelopeHash, HASH_BYTES);
  const out = w.finish();
  if (out.length + ENTRY_TRAILER_BYTES > MAX_LOG_ENTRY_BYTES) throw new RangeError('log entry exceeds MAX_LOG_ENTRY_BYTES');
  return out;
}

/** content || mac || signature. */
export function encodeLogEntry(entry: LogEntry): Uint8Array {
  const content = encodeLogEntryContent(entry);
  assertBytes('confirmationMac', entry.confirmationMac, CONFIRMATION_MAC_BYTES);
  assertBytes('signature', entry.signature, SIGNATURE_BYTES);
  const out = new Uint8Array(content.length + ENTRY_TRAILER_BYTES);
  out.set(content, 0);
  out.set(entry.confirmationMac, content.length);
  out.set(entry.signature, content.length + CONFIRMATION_MAC_BYTES);
  return out;
}

/** Strict decoder: one encoding per entry, every count and length capped, no trailing bytes. */
export function decodeLogEntry(bytes: Uint8Array): LogEntry {
  assertBytes('bytes', bytes);
  const r: WireReader = new WireReader(bytes, 'log entry');
  if (bytes.length > MAX_LOG_ENTRY_BYTES) r.fail('length', `exceeds ${MAX_LOG_ENTRY_BYTES} bytes`);
  const version = r.u8('version');
  if (version !== LOG_ENTRY_VERSION) r.fail('version', `unsupported version ${version}`);
  const kind = enumOf(r, 'kind', KIND_BY_VALUE);
  const groupId = r.fixed('groupId', GROUP_ID_BYTES);
  const epoch = r.u32('epoch');
  const prevHash = r.fixed('prevHash', HASH_BYTES);
  const actor = r.fixed('actor', 32);
  const body = readBody(r, kind);
  const n = r.u16('recipients.count');
  if (n > MAX_GROUP_MEMBERS) r.fail('recipients.count', `count ${n} exceeds ${MAX_GROUP_MEMBERS}`);
  const recipients: EntryRecipient[] = [];
  for (let i = 0; i < n; i++) {
    const memberId = r.fixed('recipients.memberId', 32);
    if (i > 0 && compareIds(recipients[i - 1]!.memberId, memberId) >= 0) {
      r.fail('recipients.memberId', 'not strictly ascending');
    }
    recipients.push({ memberId, envelopeHash: r.fixed('recipients.envelopeHash', HASH_BYTES) });
  }
  const confirmationMac = r.fixed('confirmationMac', CONFIRMATION_MAC_BYTES);
  const signature = r.fixed('signature', SIGNATURE_BYTES);
  r.end();
  return { version: LOG_ENTRY_VERSION, groupId, epoch, prevHash, actor, body, recipients, confirmationMac, signature };
}

/** Content bytes of an encoded entry (everything before MAC and signature). */
export function logEntryContentOf(entryBytes: Uint8Array): Uint8Array {
  assertBytes('entryBytes', entryBytes);
  if (entryBytes.length < ENTRY_TRAILER_BYTES) throw new RangeError('"entryBytes" shorter than the MAC and signature');
  return entryBytes.subarray(0, entryBytes.length - ENTRY_TRAILER_BYTES);
}

/** The bytes the signature covers: content || confirmationMac. */
export function logEntrySignedPartOf(entryBytes: Uint8Array): Uint8Array {
  assertBytes('entryBytes', entryBytes);
  if (entryBytes.length < ENTRY_TRAILER_BYTES) throw new RangeError('"entryBytes" shorter than the MAC and signature');
  return entryBytes.subarray(0, entryBytes.length - SIGNATURE_BYTES);
}

/** Entry hash: labelled hash of the content. Input of the key schedule and the confirmation MAC. */
export function entryHashOfContent(p: Primitives, content: Uint8Array): Uint8Array {
  return labelledHash(p, HASH.LOG_ENTRY, content);
}

/** Head hash: labelled hash of the whole entry. The next entry's prevHash; the transcript hash. */
export function headHashOfEntry(p: Primitives, entryBytes: Uint8Array): Uint8Array {
  return labelledHash(p, HASH.LOG_HEAD, assertBytes('entryBytes', entryBytes));
}
