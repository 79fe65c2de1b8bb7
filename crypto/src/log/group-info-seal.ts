// Sealing the group info carried by a group-info entry (docs/PROTOCOL.md "Group info").
//   sealed = nonce[24] || XChaCha20-Poly1305(key, nonce, encodeGroupInfo(info), aad = groupId || u32(epoch))
// key = groupInfoKey of the epoch BEFORE the entry; epoch = the epoch the entry starts.
import { concatBytes } from '../bytes';
import type { Primitives } from '../primitives/types';
import { epochContext } from '../epoch/schedule';
import { decodeGroupInfo, encodeGroupInfo, type GroupInfo } from '../wire/group-info';

export function sealGroupInfo(p: Primitives, groupInfoKey: Uint8Array, groupId: Uint8Array, epoch: number, info: GroupInfo): Uint8Array {
  const nonce = p.randomBytes(24);
  return concatBytes(nonce, p.xchachaSeal(groupInfoKey, nonce, encodeGroupInfo(info), epochContext(groupId, epoch)));
}

/** Throws E2eeError(AUTH_FAILED) or E2eeError(MALFORMED) when the info does not open or decode. */
export function openGroupInfo(p: Primitives, groupInfoKey: Uint8Array, groupId: Uint8Array, epoch: number, sealed: Uint8Array): GroupInfo {
  if (sealed.length < 24 + 16) return decodeGroupInfo(new Uint8Array(0));
  const nonce = sealed.subarray(0, 24);
  return decodeGroupInfo(p.xchachaOpen(groupInfoKey, nonce, sealed.subarray(24), epochContext(groupId, epoch)));
}
