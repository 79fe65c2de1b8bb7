// The epoch's member list as the message layer sees it: sorted by member ID, so a
// sender index means the same member to every member and to the relay.
import { assertBytes } from '../bytes';
import { MAX_GROUP_MEMBERS } from '../limits';
import type { MessageMember } from './state';

/** Bytewise comparison (lexicographic; a shorter prefix sorts first). Public data only. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * Validates and sorts an epoch's members by member ID. Throws TypeError/RangeError for
 * wrong sizes, an empty or oversized list, or a duplicate member ID.
 */
export function sortMembers(members: readonly MessageMember[]): MessageMember[] {
  if (!Array.isArray(members)) throw new TypeError('"members" expected an array');
  if (members.length < 1 || members.length > MAX_GROUP_MEMBERS) {
    throw new RangeError(`"members" expected 1..${MAX_GROUP_MEMBERS} entries, got ${members.length}`);
  }
  const out = members.map((m, i) => ({
    memberId: assertBytes(`members[${i}].memberId`, m.memberId, 32).slice(),
    identityKey: assertBytes(`members[${i}].identityKey`, m.identityKey, 32).slice(),
  }));
  out.sort((a, b) => compareBytes(a.memberId, b.memberId));
  for (let i = 1; i < out.length; i++) {
    if (compareBytes(out[i - 1]!.memberId, out[i]!.memberId) === 0) throw new RangeError('"members" has a duplicate member ID');
  }
  return out;
}

/** Index of `memberId` in a sorted member list, or -1. */
export function indexOfMember(members: readonly MessageMember[], memberId: Uint8Array): number {
  let lo = 0;
  let hi = members.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = compareBytes(members[mid]!.memberId, memberId);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
