// The epoch key schedule (docs/PROTOCOL.md "Epoch key schedule").
//
// Every log entry starts an epoch. Its secret comes in two steps:
//
//   joinerSecret = fresh 32 random bytes                 (create, remove, rotate)
//                | deriveSecret(prevEpochSecret, "epoch joiner", groupId || u32(epoch))
//                                                        (every other entry)
//   epochSecret  = deriveSecret(joinerSecret, "epoch next", entryHash)
//
// Remove and rotate box the fresh joiner secret to every remaining member; an add boxes
// the derived joiner secret to each joiner. The joiner secret never depends on the entry
// (the entry lists the envelope hashes, so the envelopes cannot depend on the entry);
// binding the entry hash in the second step ties the secret to the exact entry.
// A fresh joiner secret does not depend on the previous epoch at all: that is what lets a
// member who lost an epoch (a commit it could not verify) resume at the next rotation.
//
// From each epoch secret, with context = groupId || u32(epoch):
//   senderRoot      = deriveSecret(epochSecret, "epoch sender root", context)   (message layer)
//   groupInfoKey    = deriveSecret(epochSecret, "epoch group info key", context)
//   confirmationKey = deriveSecret(epochSecret, "epoch confirmation key", context)
//   confirmationMac = HMAC-SHA256(confirmationKey, entryHash)
import { assertBytes, assertInteger, equalBytes } from '../bytes';
import { deriveSecret } from '../kdf';
import { KDF } from '../labels';
import type { Primitives } from '../primitives/types';
import { WireWriter } from '../wire/codec';
import { GROUP_ID_BYTES, MAX_EPOCH, type EntryKind } from '../wire/log-entry';

export const EPOCH_SECRET_BYTES = 32;

/** Entry kinds whose joiner secret is fresh randomness boxed to every remaining member. */
export function isFreshSecretKind(kind: EntryKind): boolean {
  return kind === 'create' || kind === 'remove' || kind === 'rotate';
}

export function epochContext(groupId: Uint8Array, epoch: number): Uint8Array {
  assertBytes('groupId', groupId, GROUP_ID_BYTES);
  assertInteger('epoch', epoch, 0, MAX_EPOCH);
  return new WireWriter(GROUP_ID_BYTES + 4).fixed(groupId, GROUP_ID_BYTES).u32(epoch).finish();
}

/** The joiner secret of a derived entry starting `epoch`, from the previous epoch's secret. */
export function deriveJoinerSecret(p: Primitives, previousEpochSecret: Uint8Array, groupId: Uint8Array, epoch: number): Uint8Array {
  return deriveSecret(p, previousEpochSecret, KDF.EPOCH_JOINER, epochContext(groupId, epoch));
}

export function deriveEpochSecret(p: Primitives, joinerSecret: Uint8Array, entryHash: Uint8Array): Uint8Array {
  assertBytes('entryHash', entryHash, 32);
  return deriveSecret(p, joinerSecret, KDF.EPOCH_NEXT, entryHash);
}

export interface EpochKeys {
  /** Root of every sender chain of the epoch (handed to the message layer). */
  readonly senderRoot: Uint8Array;
  /** Seals the group info carried by entries of the next epoch. */
  readonly groupInfoKey: Uint8Array;
  /** MAC key proving the committer knew this epoch's secret. */
  readonly confirmationKey: Uint8Array;
}

export function deriveEpochKeys(p: Primitives, epochSecret: Uint8Array, groupId: Uint8Array, epoch: number): EpochKeys {
  const ctx = epochContext(groupId, epoch);
  return {
    senderRoot: deriveSecret(p, epochSecret, KDF.EPOCH_SENDER_ROOT, ctx),
    groupInfoKey: deriveSecret(p, epochSecret, KDF.EPOCH_GROUP_INFO_KEY, ctx),
    confirmationKey: deriveSecret(p, epochSecret, KDF.EPOCH_CONFIRMATION_KEY, ctx),
  };
}

export function confirmationMac(p: Primitives, confirmationKey: Uint8Array, entryHash: Uint8Array): Uint8Array {
  assertBytes('confirmationKey', confirmationKey, 32);
  assertBytes('entryHash', entryHash, 32);
  return p.hmacSha256(confirmationKey, entryHash);
}

/** Constant-time check of a confirmation MAC. */
export function verifyConfirmationMac(p: Primitives, confirmationKey: Uint8Array, entryHash: Uint8Array, mac: Uint8Array): boolean {
  assertBytes('mac', mac, 32);
  return equalBytes(confirmationMac(p, confirmationKey, entryHash), mac);
}
