// What the engine persists per group, one store key per record so that the hot path
// (a received message) rewrites only the small receiver record. Layout in
// docs/CLIENT-SDK.md "Persistence layout". Every record starts with a version byte and
// decodes strictly (WireReader: trailing bytes, bad lengths and unknown values rejected).
//
//   sdk/g/<gid>/member   u8 v=1 || u8 status || u64 logLength || u32 n || GroupMemberState[n]
//   sdk/g/<gid>/recv     u8 v=1 || u64 messageSeq || u8 anchored || u32 n || ReceiverState[n] (n = 0: none)
//   sdk/g/<gid>/send     u8 v=1 || u32 n || SenderState[n]
//   sdk/g/<gid>/pending  u8 v=1 || u64 index || u32 n || entry[n] || u16 k || k * (u32 m || envelope[m])
//                        || u32 s || GroupMemberState[s]        (a commit sent but not yet known to be accepted)
//   sdk/g/<gid>/links    u8 v=1 || u16 k || k * (inviteId[16] || linkSecret[32] || u64 expiresAt)
import { decodeGroupMemberState, encodeGroupMemberState, type GroupMemberState } from '../../../crypto/src/log/member-state';
import { MAX_MEMBER_STATE_BYTES } from '../../../crypto/src/limits';
import { decodeReceiverState, decodeSenderState, encodeReceiverState, encodeSenderState, type ReceiverState, type SenderState } from '../../../crypto/src/message/state';
import type { Primitives } from '../../../crypto/src/primitives/types';
import { WireReader, WireWriter } from '../../../crypto/src/wire/codec';
import { MAX_ENVELOPE_BYTES, MAX_LOG_ENTRY_BYTES } from '../../../crypto/src/wire/http-bodies';

export type GroupStatus = 'active' | 'left' | 'removed' | 'dissolved';
const STATUS_CODE: Record<GroupStatus, number> = { active: 1, left: 2, removed: 3, dissolved: 4 };
const STATUS_BY_CODE = new Map<number, GroupStatus>(Object.entries(STATUS_CODE).map(([k, v]) => [v, k as GroupStatus]));

/** Receiver states grow with members and skipped keys; this bounds what a record may claim. */
export const MAX_RECEIVER_RECORD_BYTES = 4 * 1024 * 1024;
export const MAX_LINKS_PER_GROUP = 64;

export const groupKey = (gidHex: string, part: 'member' | 'recv' | 'send' | 'pending' | 'links') => `sdk/g/${gidHex}/${part}`;
export const GROUP_PREFIX = 'sdk/g/';

export interface MemberRecord {
  status: GroupStatus;
  logLength: number;
  state: GroupMemberState;
}

export function encodeMemberRecord(r: MemberRecord): Uint8Array {
  const s = encodeGroupMemberState(r.state);
  return new WireWriter(16 + s.length).u8(1).u8(STATUS_CODE[r.status]).u64(r.logLength).bytes32(s, MAX_MEMBER_STATE_BYTES).finish();
}

export function decodeMemberRecord(p: Primitives, bytes: Uint8Array): MemberRecord {
  const r = new WireReader(bytes, 'group member record');
  if (r.u8('version') !== 1) r.fail('version', 'unsupported');
  const code = r.u8('status');
  const status = STATUS_BY_CODE.get(code);
  if (!status) return r.fail('status', `unknown value ${code}`);
  const logLength = r.u64('logLength');
  const state = decodeGroupMemberState(p, r.bytes32('state', MAX_MEMBER_STATE_BYTES, 1));
  r.end();
  return { status, logLength, state };
}

export interface ReceiverRecord {
  messageSeq: number;
  /** messageSeq is known to be the relay's position (set after the first delivery or CAUGHT_UP). */
  anchored: boolean;
  state: ReceiverState | null;
}

export function encodeReceiverRecord(r: ReceiverRecord): Uint8Array {
  const s = r.state ? encodeReceiverState(r.state) : new Uint8Array(0);
  return new WireWriter(16 + s.length).u8(1).u64(r.messageSeq).u8(r.anchored ? 1 : 0).bytes32(s, MAX_RECEIVER_RECORD_BYTES).finish();
}

export function decodeReceiverRecord(bytes: Uint8Array): ReceiverRecord {
  const r = new WireReader(bytes, 'group receiver record');
  if (r.u8('version') !== 1) r.fail('version', 'unsupported');
  const messageSeq = r.u64('messageSeq');
  const anchored = r.enumU8('anchored', [0, 1]) === 1;
  const s = r.bytes32('state', MAX_RECEIVER_RECORD_BYTES);
  r.end();
  return { messageSeq, anchored, state: s.length ? decodeReceiverState(s) : null };
}

export function encodeSenderRecord(s: SenderState | null): Uint8Array {
  const b = s ? encodeSenderState(s) : new Uint8Array(0);
  return new WireWriter(8 + b.length).u8(1).bytes32(b, 4096).finish();
}

export function decodeSenderRecord(bytes: Uint8Array): SenderState | null {
  const r = new WireReader(bytes, 'group sender record');
  if (r.u8('version') !== 1) r.fail('version', 'unsupported');
  const b = r.bytes32('state', 4096);
  r.end();
  return b.length ? decodeSenderState(b) : null;
}

export interface PendingCommit {
  /** The log index the entry takes if accepted (the group's log length when it was built). */
  index: number;
  entry: Uint8Array;
  envelopes: Uint8Array[];
  state: GroupMemberState;
}

export function encodePendingCommit(c: PendingCommit): Uint8Array {
  const s = encodeGroupMemberState(c.state);
  let size = 32 + c.entry.length + s.length;
  for (const e of c.envelopes) size += 4 + e.length;
  const w = new WireWriter(size).u8(1).u64(c.index).bytes32(c.entry, MAX_LOG_ENTRY_BYTES).u16(c.envelopes.length);
  for (const e of c.envelopes) w.bytes32(e, MAX_ENVELOPE_BYTES);
  return w.bytes32(s, MAX_MEMBER_STATE_BYTES).finish();
}

export function decodePendingCommit(p: Primitives, bytes: Uint8Array): PendingCommit {
  const r = new WireReader(bytes, 'pending commit');
  if (r.u8('version') !== 1) r.fail('version', 'unsupported');
  const index = r.u64('index');
  const entry = r.bytes32('entry', MAX_LOG_ENTRY_BYTES, 1);
  const n = r.u16('envelopes');
  if (n > 500) r.fail('envelopes', 'more than 500');
  const envelopes: Uint8Array[] = [];
  for (let i = 0; i < n; i++) envelopes.push(r.bytes32('envelope', MAX_ENVELOPE_BYTES, 1));
  const state = decodeGroupMemberState(p, r.bytes32('state', MAX_MEMBER_STATE_BYTES, 1));
  r.end();
  return { index, entry, envelopes, state };
}

export interface StoredLink {
  inviteId: Uint8Array;
  linkSecret: Uint8Array;
  expiresAt: number;
}

export function encodeLinks(links: readonly StoredLink[]): Uint8Array {
  const w = new WireWriter(4 + links.length * 56).u8(1).u16(links.length);
  for (const l of links) w.fixed(l.inviteId, 16).fixed(l.linkSecret, 32).u64(l.expiresAt);
  return w.finish();
}

export function decodeLinks(bytes: Uint8Array): StoredLink[] {
  const r = new WireReader(bytes, 'invite links');
  if (r.u8('version') !== 1) r.fail('version', 'unsupported');
  const n = r.u16('count');
  if (n > MAX_LINKS_PER_GROUP) r.fail('count', `more than ${MAX_LINKS_PER_GROUP}`);
  const out: StoredLink[] = [];
  for (let i = 0; i < n; i++) out.push({ inviteId: r.fixed('inviteId', 16), linkSecret: r.fixed('linkSecret', 32), expiresAt: r.u64('expiresAt') });
  r.end();
  return out;
}
