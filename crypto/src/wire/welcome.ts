// Envelope payloads (what is inside the AEAD). Byte diagram: docs/PROTOCOL.md "Envelope".
//
//   epoch-secret payload = joinerSecret[32]
//   welcome payload      = u8 version(=1) || joinerSecret[32]
//                          || u32 len || groupInfo (encoded GroupInfo; len 0 = none yet)
//                          || u32 len || publicState (encoded public state BEFORE the add)
//
// The joiner checks publicState.headHash == entry.prevHash, folds the add entry on it
// (which verifies the adder's signature), derives the epoch secret and checks the MAC.
import { assertBytes } from '../bytes';
import { MAX_PUBLIC_STATE_BYTES } from '../limits';
import { WireReader, WireWriter } from './codec';

export const WELCOME_VERSION = 1;
/** An encoded group info is at most this long (see group-info.ts caps). */
export const MAX_GROUP_INFO_BYTES = 16 * 1024;

export interface WelcomePayload {
  readonly joinerSecret: Uint8Array;
  /** Encoded GroupInfo, or empty when the group has none yet. */
  readonly groupInfo: Uint8Array;
  /** Encoded PublicGroupState before the add entry. */
  readonly publicState: Uint8Array;
}

export function encodeWelcomePayload(w: WelcomePayload): Uint8Array {
  return new WireWriter(64 + w.groupInfo.length + w.publicState.length)
    .u8(WELCOME_VERSION)
    .fixed(w.joinerSecret, 32)
    .bytes32(w.groupInfo, MAX_GROUP_INFO_BYTES)
    .bytes32(w.publicState, MAX_PUBLIC_STATE_BYTES)
    .finish();
}

export function decodeWelcomePayload(bytes: Uint8Array): WelcomePayload {
  assertBytes('bytes', bytes);
  const r: WireReader = new WireReader(bytes, 'welcome');
  const version = r.u8('version');
  if (version !== WELCOME_VERSION) r.fail('version', `unsupported version ${version}`);
  const joinerSecret = r.fixed('joinerSecret', 32);
  const groupInfo = r.bytes32('groupInfo', MAX_GROUP_INFO_BYTES);
  const publicState = r.bytes32('publicState', MAX_PUBLIC_STATE_BYTES, 1);
  r.end();
  return { joinerSecret, groupInfo, publicState };
}

export function decodeEpochSecretPayload(bytes: Uint8Array): Uint8Array {
  assertBytes('bytes', bytes);
  const r: WireReader = new WireReader(bytes, 'epoch secret payload');
  const secret = r.fixed('joinerSecret', 32);
  r.end();
  return secret;
}
