// Member ID: the public name of a device in every group, log entry and envelope.
//
//   memberId = SHA-256(u8(len L) || L || identityPublicKey),  L = "wxe2ee v1 hash member id"
//
// 32 bytes. The relay imports this file to map an authenticated identity key to the
// member ID the public fold uses.
import { assertBytes } from '../bytes';
import { HASH } from '../labels';
import type { Primitives } from '../primitives/types';
import { labelledHash } from './labelled-hash';

export const MEMBER_ID_BYTES = 32;
export const IDENTITY_KEY_BYTES = 32;

export function memberIdOf(p: Primitives, identityPublicKey: Uint8Array): Uint8Array {
  assertBytes('identityPublicKey', identityPublicKey, IDENTITY_KEY_BYTES);
  return labelledHash(p, HASH.MEMBER_ID, identityPublicKey);
}
