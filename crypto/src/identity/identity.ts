// A device identity: an Ed25519 key pair from a 32-byte seed, and its member ID.
import { assertBytes } from '../bytes';
import type { Primitives } from '../primitives/types';
import { memberIdOf } from './member-id';

export interface DeviceIdentity {
  /** RFC 8032 private key (32-byte seed). Secret. */
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly memberId: Uint8Array;
}

export function generateIdentity(p: Primitives): DeviceIdentity {
  return identityFromSeed(p, p.randomBytes(32));
}

export function identityFromSeed(p: Primitives, seed: Uint8Array): DeviceIdentity {
  assertBytes('seed', seed, 32);
  const publicKey = p.ed25519PublicKey(seed);
  return { seed: seed.slice(), publicKey, memberId: memberIdOf(p, publicKey) };
}
