// Test helpers: a small group of real identities and epoch inputs, real crypto (noble).
import { concatBytes } from '../../src/bytes';
import { nobleBackend } from '../../src/primitives/noble';
import { createPrimitives } from '../../src/primitives/index';
import { nodeRandom } from '../../src/primitives/random';
import type { Primitives, RandomSource } from '../../src/primitives/types';
import { startEpoch, type EpochInput, type EpochStates } from '../../src/message/session';
import { REVOKED, type ChainSlot, type MessageMember, type ReceiverState, type ReceivingChain, type SenderState } from '../../src/message/state';
import { encryptGroupMessage } from '../../src/message/encrypt';

export const p: Primitives = createPrimitives(nobleBackend, nodeRandom);

export function primitivesWith(random: RandomSource): Primitives {
  return createPrimitives(nobleBackend, random);
}

export interface TestIdentity extends MessageMember {
  readonly seed: Uint8Array;
}

/** A deterministic identity from a one-byte tag (tests only). */
export function identity(tag: number, prims: Primitives = p): TestIdentity {
  const seed = new Uint8Array(32).fill(tag);
  const identityKey = prims.ed25519PublicKey(seed);
  // Member ID as a labelled hash of the key; the message layer treats it as opaque 32 bytes.
  const memberId = prims.sha256(concatBytes(Uint8Array.of(0x6d), identityKey));
  return { seed, identityKey, memberId };
}

export function epochInput(groupId: Uint8Array, epoch: number, members: readonly TestIdentity[], rootTag = epoch): EpochInput {
  return {
    groupId,
    epoch,
    transcriptHash: new Uint8Array(32).fill(0xa0 ^ (epoch & 0xff)),
    senderRoot: p.sha256(Uint8Array.of(rootTag & 0xff, (rootTag >> 8) & 0xff, 0x5e)),
    members: members.map((m) => ({ memberId: m.memberId, identityKey: m.identityKey })),
  };
}

export const GROUP = new Uint8Array(16).fill(0x47);
export const OTHER_GROUP = new Uint8Array(16).fill(0x48);

export function enter(input: EpochInput, self: TestIdentity, previous: ReceiverState | null = null, now = 0): EpochStates {
  return startEpoch(p, input, self.memberId, previous, { now });
}

/** Encrypt and release against the persisted next state, returning both. */
export function send(
  state: SenderState,
  self: TestIdentity,
  plaintext: Uint8Array,
  prims: Primitives = p,
): { bytes: Uint8Array; next: SenderState } {
  const prepared = encryptGroupMessage(prims, state, plaintext, { identitySeed: self.seed });
  return { bytes: prepared.release(prepared.nextState), next: prepared.nextState };
}

export function text(s: string): Uint8Array {
  return new Uint8Array([...s].map((c) => c.charCodeAt(0) & 0xff));
}

/** A receiving chain slot that must hold a chain (not self, not revoked). */
export function chainOf(slot: ChainSlot | undefined): ReceivingChain {
  if (!slot || slot === REVOKED) throw new Error('expected a receiving chain');
  return slot;
}

/** Skipped keys in a slot (0 for self and revoked). */
export function skippedIn(slot: ChainSlot | undefined): number {
  return slot && slot !== REVOKED ? slot.skipped.length : 0;
}
