// GroupMemberState: one member's view of one group: the public state plus the secrets
// of the current epoch only (no earlier epoch secret is kept). Plain data, versioned,
// lossless serialization. Byte diagram: docs/PROTOCOL.md "Group member state".
//
//   u8 version(=1) || self[32] || u32 len || publicState
//   || u8 hasSecret || [epochSecret[32]]
//   || u32 len || groupInfo (encoded GroupInfo; len 0 = none)
//   || u8 alarmReason (0 none, 1 bad-mac, 2 unopenable-envelope, 3 bad-group-info) || u32 alarmEpoch
//   || u8 removed (0|1)
import { assertBytes, equalBytes } from '../bytes';
import { MAX_MEMBER_STATE_BYTES, MAX_PUBLIC_STATE_BYTES } from '../limits';
import type { Primitives } from '../primitives/types';
import { deriveEpochKeys } from '../epoch/schedule';
import { assertVersion, WireReader, WireWriter } from '../wire/codec';
import { decodeGroupInfo, encodeGroupInfo, type GroupInfo } from '../wire/group-info';
import { MAX_GROUP_INFO_BYTES } from '../wire/welcome';
import { decodePublicGroupState, encodePublicGroupState, type PublicGroupState } from '../wire/public-state';
import { hasPendingRemoval as publicPendingRemoval, isMember } from './public-fold';

export const MEMBER_STATE_VERSION = 1;

/** A commit the relay accepted but this member cannot verify. Recovery: a rotation on top. */
export const COMMIT_UNVERIFIABLE = 'E2E_ERR_COMMIT_UNVERIFIABLE';
/** This member is no longer in the group (removed, or its leave was committed). */
export const NOT_A_MEMBER = 'E2E_ERR_NOT_A_MEMBER';
/** The operation needs the current epoch secret, which this member lacks (alarm state). */
export const NO_EPOCH_SECRET = 'E2E_ERR_NO_EPOCH_SECRET';
/** A commit needs a prekey for a recipient and none was supplied. */
export const MISSING_PREKEY = 'E2E_ERR_MISSING_PREKEY';

export type AlarmReason = 'bad-mac' | 'unopenable-envelope' | 'bad-group-info';
const ALARM_CODES: Record<AlarmReason, number> = { 'bad-mac': 1, 'unopenable-envelope': 2, 'bad-group-info': 3 };
const ALARM_BY_CODE = new Map<number, AlarmReason>([
  [1, 'bad-mac'],
  [2, 'unopenable-envelope'],
  [3, 'bad-group-info'],
]);

/** The typed alarm of a commit this member cannot verify. */
export interface Alarm {
  readonly code: typeof COMMIT_UNVERIFIABLE;
  /** The epoch of the entry that could not be verified. */
  readonly epoch: number;
  readonly reason: AlarmReason;
}

export interface GroupMemberState {
  readonly version: 1;
  /** This member's ID. */
  readonly self: Uint8Array;
  readonly public: PublicGroupState;
  /** The current epoch's secret; null in alarm state or once removed. Secret. */
  readonly epochSecret: Uint8Array | null;
  readonly groupInfo: GroupInfo | null;
  /** Set while waiting for a rotation after an unverifiable commit. */
  readonly alarm: Alarm | null;
  /** This member is no longer in the group. */
  readonly removed: boolean;
}

/** What the message layer needs for one epoch (part B's EpochInput). */
export interface EpochView {
  readonly groupId: Uint8Array;
  readonly epoch: number;
  /** Log head hash after the entry that started the epoch. */
  readonly transcriptHash: Uint8Array;
  /** Root of every sender chain of the epoch. Secret: wipe after use. */
  readonly senderRoot: Uint8Array;
  /** Every member, ascending by member ID. */
  readonly members: readonly { readonly memberId: Uint8Array; readonly identityKey: Uint8Array }[];
}

/** The current epoch for the message layer, or null when this member has no epoch secret. */
export function epochView(p: Primitives, state: GroupMemberState): EpochView | null {
  if (!state.epochSecret || state.removed) return null;
  const { senderRoot } = deriveEpochKeys(p, state.epochSecret, state.public.groupId, state.public.epoch);
  return {
    groupId: state.public.groupId.slice(),
    epoch: state.public.epoch,
    transcriptHash: state.public.headHash.slice(),
    senderRoot,
    members: state.public.members.map((m) => ({ memberId: m.memberId.slice(), identityKey: m.identityKey.slice() })),
  };
}

/**
 * Whether this member may send messages in the current epoch: it holds the epoch secret,
 * is a served member, and no leave or removal is pending (the removal must be committed
 * first, with a fresh secret the leaver cannot know).
 */
export function canSendInEpoch(state: GroupMemberState): boolean {
  if (state.removed || !state.epochSecret || state.alarm || state.public.dissolved) return false;
  const me = state.public.members.find((m) => equalBytes(m.memberId, state.self));
  return !!me && !me.leaveRequested && !publicPendingRemoval(state.public);
}

/**
 * A leave request is on the log with no removal yet (accepts a member state or a public
 * state). While true, no client sends; an authorised member commits the removal first.
 */
export function hasPendingRemoval(state: GroupMemberState | PublicGroupState): boolean {
  return publicPendingRemoval('members' in state ? state : state.public);
}

export function encodeGroupMemberState(state: GroupMemberState): Uint8Array {
  assertVersion(state.version, MEMBER_STATE_VERSION);
  const pub = encodePublicGroupState(state.public);
  const info = state.groupInfo ? encodeGroupInfo(state.groupInfo) : new Uint8Array(0);
  const w = new WireWriter(128 + pub.length + info.length)
    .u8(MEMBER_STATE_VERSION)
    .fixed(state.self, 32)
    .bytes32(pub, MAX_PUBLIC_STATE_BYTES)
    .u8(state.epochSecret ? 1 : 0);
  if (state.epochSecret) w.fixed(state.epochSecret, 32);
  w.bytes32(info, MAX_GROUP_INFO_BYTES)
    .u8(state.alarm ? ALARM_CODES[state.alarm.reason] : 0)
    .u32(state.alarm ? state.alarm.epoch : 0)
    .u8(state.removed ? 1 : 0);
  return w.finish();
}

export function decodeGroupMemberState(p: Primitives, bytes: Uint8Array): GroupMemberState {
  assertBytes('bytes', bytes);
  const r: WireReader = new WireReader(bytes, 'group member state');
  if (bytes.length > MAX_MEMBER_STATE_BYTES) r.fail('length', `exceeds ${MAX_MEMBER_STATE_BYTES} bytes`);
  const version = r.u8('version');
  if (version !== MEMBER_STATE_VERSION) r.fail('version', `unsupported version ${version}`);
  const self = r.fixed('self', 32);
  const pub = decodePublicGroupState(p, r.bytes32('publicState', MAX_PUBLIC_STATE_BYTES, 1));
  const hasSecret = r.u8('hasSecret');
  if (hasSecret > 1) r.fail('hasSecret', `unknown value ${hasSecret}`);
  const epochSecret = hasSecret ? r.fixed('epochSecret', 32) : null;
  const infoBytes = r.bytes32('groupInfo', MAX_GROUP_INFO_BYTES);
  const groupInfo = infoBytes.length ? decodeGroupInfo(infoBytes) : null;
  const alarmCode = r.u8('alarmReason');
  const alarmEpoch = r.u32('alarmEpoch');
  const removedByte = r.u8('removed');
  r.end();
  if (removedByte > 1) r.fail('removed', `unknown value ${removedByte}`);
  let alarm: Alarm | null = null;
  if (alarmCode !== 0) {
    const reason = ALARM_BY_CODE.get(alarmCode);
    if (!reason) r.fail('alarmReason', `unknown value ${alarmCode}`);
    alarm = { code: COMMIT_UNVERIFIABLE, epoch: alarmEpoch, reason };
  } else if (alarmEpoch !== 0) {
    r.fail('alarmEpoch', 'set without an alarm');
  }
  const removed = removedByte === 1;
  if (removed && epochSecret) r.fail('epochSecret', 'a removed member keeps no secret');
  if (alarm && epochSecret) r.fail('epochSecret', 'a member in alarm state has no secret');
  if (!removed && !isMember(pub, self)) r.fail('self', 'not a member of the public state');
  if (!removed && !alarm && !epochSecret) r.fail('epochSecret', 'missing');
  return { version: MEMBER_STATE_VERSION, self, public: pub, epochSecret, groupInfo, alarm, removed };
}

export function assertMemberState(state: GroupMemberState): void {
  if (!state || state.version !== MEMBER_STATE_VERSION) throw new TypeError('"state" expected a GroupMemberState');
  assertBytes('state.self', state.self, 32);
}
