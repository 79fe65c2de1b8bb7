// Public group state: what the public fold of the membership log produces and the relay
// stores beside each append. No secrets, no group name. Byte diagram: docs/PROTOCOL.md
// "Public group state".
//
//   u8 version(=1) || groupId[16] || u32 epoch || headHash[32] || u8 dissolved
//   || policy || u16 n || n * (memberId[32] || identityKey[32] || u8 role || u8 flags)
//
// flags bit 0 = leave requested (pending removal); other bits must be zero.
// Members are strictly ascending by member ID.
import { assertBytes, equalBytes } from '../bytes';
import { memberIdOf } from '../identity/member-id';
import { MAX_GROUP_MEMBERS, MAX_PUBLIC_STATE_BYTES } from '../limits';
import type { Primitives } from '../primitives/types';
import { assertVersion, WireReader, WireWriter } from './codec';
import { compareIds, GROUP_ID_BYTES, readPolicy, ROLE, writePolicy, type GroupPolicy, type Role } from './log-entry';

export const PUBLIC_STATE_VERSION = 1;

export interface PublicMember {
  readonly memberId: Uint8Array;
  readonly identityKey: Uint8Array;
  readonly role: Role;
  /** A signed leave request is on the log and no removal has followed yet. */
  readonly leaveRequested: boolean;
}

export interface PublicGroupState {
  readonly version: 1;
  readonly groupId: Uint8Array;
  /** Epoch started by the last entry folded (0 after the create entry). */
  readonly epoch: number;
  /** Head hash of the last entry folded: the next entry's prevHash, the transcript hash. */
  readonly headHash: Uint8Array;
  readonly dissolved: boolean;
  readonly policy: GroupPolicy;
  /** Strictly ascending by member ID. */
  readonly members: readonly PublicMember[];
}

const ROLE_BY_VALUE = new Map<number, Role>((Object.keys(ROLE) as Role[]).map((k) => [ROLE[k], k]));

export function encodePublicGroupState(state: PublicGroupState): Uint8Array {
  assertVersion(state.version, PUBLIC_STATE_VERSION);
  if (state.members.length < 1 || state.members.length > MAX_GROUP_MEMBERS) {
    throw new RangeError(`"members" expected 1..${MAX_GROUP_MEMBERS}`);
  }
  const w = new WireWriter(256 + state.members.length * 66)
    .u8(PUBLIC_STATE_VERSION)
    .fixed(state.groupId, GROUP_ID_BYTES)
    .u32(state.epoch)
    .fixed(state.headHash, 32)
    .u8(state.dissolved ? 1 : 0);
  writePolicy(w, state.policy);
  w.u16(state.members.length);
  for (let i = 0; i < state.members.length; i++) {
    const m = state.members[i]!;
    if (i > 0 && compareIds(state.members[i - 1]!.memberId, m.memberId) >= 0) {
      throw new RangeError('"members" must be strictly ascending by memberId');
    }
    w.fixed(m.memberId, 32).fixed(m.identityKey, 32).u8(ROLE[m.role]).u8(m.leaveRequested ? 1 : 0);
  }
  return w.finish();
}

/**
 * Strict decoder. Also checks the invariants the fold maintains (member IDs match their
 * identity keys, exactly one owner who has not requested to leave, muted members are
 * members), so a corrupted store is caught on load.
 */
export function decodePublicGroupState(p: Primitives, bytes: Uint8Array): PublicGroupState {
  assertBytes('bytes', bytes);
  const r: WireReader = new WireReader(bytes, 'public group state');
  if (bytes.length > MAX_PUBLIC_STATE_BYTES) r.fail('length', `exceeds ${MAX_PUBLIC_STATE_BYTES} bytes`);
  const version = r.u8('version');
  if (version !== PUBLIC_STATE_VERSION) r.fail('version', `unsupported version ${version}`);
  const groupId = r.fixed('groupId', GROUP_ID_BYTES);
  const epoch = r.u32('epoch');
  const headHash = r.fixed('headHash', 32);
  const dissolvedByte = r.u8('dissolved');
  if (dissolvedByte > 1) r.fail('dissolved', `unknown value ${dissolvedByte}`);
  const policy = readPolicy(r);
  const n = r.u16('members.count');
  if (n < 1 || n > MAX_GROUP_MEMBERS) r.fail('members.count', `count ${n} outside 1..${MAX_GROUP_MEMBERS}`);
  const members: PublicMember[] = [];
  let owners = 0;
  for (let i = 0; i < n; i++) {
    const memberId = r.fixed('members.memberId', 32);
    if (i > 0 && compareIds(members[i - 1]!.memberId, memberId) >= 0) r.fail('members.memberId', 'not strictly ascending');
    const identityKey = r.fixed('members.identityKey', 32);
    const roleValue = r.u8('members.role');
    const role = ROLE_BY_VALUE.get(roleValue);
    if (!role) r.fail('members.role', `unknown value ${roleValue}`);
    const flags = r.u8('members.flags');
    if (flags > 1) r.fail('members.flags', `unknown bits ${flags}`);
    if (role === 'owner') {
      owners++;
      if (flags === 1) r.fail('members.flags', 'the owner cannot have a pending leave');
    }
    if (!equalBytes(memberIdOf(p, identityKey), memberId)) r.fail('members.memberId', 'does not match the identity key');
    members.push({ memberId, identityKey, role, leaveRequested: flags === 1 });
  }
  r.end();
  if (owners !== 1) r.fail('members.role', `expected exactly one owner, found ${owners}`);
  for (const id of policy.mutedMembers) {
    if (findMemberIndex(members, id) < 0) r.fail('policy.mutedMembers', 'lists a non-member');
  }
  return { version: PUBLIC_STATE_VERSION, groupId, epoch, headHash, dissolved: dissolvedByte === 1, policy, members };
}

/** Binary search in the ascending member list; -1 when absent. */
export function findMemberIndex(members: readonly PublicMember[], memberId: Uint8Array): number {
  assertBytes('memberId', memberId, 32);
  let lo = 0;
  let hi = members.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = compareIds(members[mid]!.memberId, memberId);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
