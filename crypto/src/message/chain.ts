// Sender chains: one symmetric hash ratchet per member per epoch.
//
//   chainKey[0]    = deriveSecret(senderRoot, "sender chain", groupId || u32(epoch) || memberId)
//   keyNonce[n]    = expandWithLabel(chainKey[n], "message key", "", 56)   -> key (32) || nonce (24)
//   chainKey[n+1]  = deriveSecret(chainKey[n], "chain next", "")
//
// Both per-generation derivations use the labelled KDF of crypto/src/kdf.ts. The `info`
// strings for the empty context are precomputed once (they are byte-identical to what
// expandWithLabel builds; a test pins that), so a message costs two HKDF-Expand calls.
import { assertBytes, assertInteger, concatBytes } from '../bytes';
import { deriveSecret, PROTOCOL_LABEL_PREFIX } from '../kdf';
import { KDF } from '../labels';
import { MAX_MESSAGE_EPOCH, MESSAGE_GROUP_ID_BYTES } from '../limits';
import type { Primitives } from '../primitives/types';
import { utf8Encode } from '../bytes';

export const CHAIN_KEY_BYTES = 32;
export const MESSAGE_KEY_BYTES = 32;
export const MESSAGE_NONCE_BYTES = 24;
/** key || nonce. */
export const KEY_NONCE_BYTES = MESSAGE_KEY_BYTES + MESSAGE_NONCE_BYTES;

/** info = u16(length) || u8(len L) || L || u32(0): expandWithLabel's info for an empty context. */
function emptyContextInfo(label: string, length: number): Uint8Array {
  const l = utf8Encode(PROTOCOL_LABEL_PREFIX + label);
  return concatBytes(Uint8Array.of(length >>> 8, length & 255, l.length), l, new Uint8Array(4));
}

const MESSAGE_KEY_INFO = emptyContextInfo(KDF.MESSAGE_KEY, KEY_NONCE_BYTES);
const CHAIN_NEXT_INFO = emptyContextInfo(KDF.CHAIN_NEXT, CHAIN_KEY_BYTES);

/** Context of chain key 0: groupId (16) || u32(epoch) || memberId (32). */
export function senderChainContext(groupId: Uint8Array, epoch: number, memberId: Uint8Array): Uint8Array {
  assertBytes('groupId', groupId, MESSAGE_GROUP_ID_BYTES);
  assertInteger('epoch', epoch, 0, MAX_MESSAGE_EPOCH);
  assertBytes('memberId', memberId, 32);
  return concatBytes(groupId, Uint8Array.of(epoch >>> 24, (epoch >>> 16) & 255, (epoch >>> 8) & 255, epoch & 255), memberId);
}

/** Chain key 0 of `memberId` in the epoch whose sender root is `senderRoot`. */
export function initialChainKey(
  p: Primitives,
  senderRoot: Uint8Array,
  groupId: Uint8Array,
  epoch: number,
  memberId: Uint8Array,
): Uint8Array {
  assertBytes('senderRoot', senderRoot, 32);
  return deriveSecret(p, senderRoot, KDF.SENDER_CHAIN, senderChainContext(groupId, epoch, memberId));
}

/** Message key || nonce (56 bytes) of the generation whose chain key is `chainKey`. */
export function messageKeyNonce(p: Primitives, chainKey: Uint8Array): Uint8Array {
  return p.hkdfSha256Expand(chainKey, MESSAGE_KEY_INFO, KEY_NONCE_BYTES);
}

/** The chain key of the next generation. */
export function nextChainKey(p: Primitives, chainKey: Uint8Array): Uint8Array {
  return p.hkdfSha256Expand(chainKey, CHAIN_NEXT_INFO, CHAIN_KEY_BYTES);
}
