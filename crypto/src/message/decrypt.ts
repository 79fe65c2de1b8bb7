// Receiving a group message: load, check, derive, return the new state.
//
// Order (docs/PROTOCOL.md Part II, "Receiving"):
//   1. decode the framing (keyless); group ID must be ours; the epoch must be held
//      (current, or replaced but inside the grace window); the sender index must name a
//      member other than us;
//   2. generation checks on the receiving chain, without deriving anything:
//      below the chain and not in the skipped cache -> DUPLICATE_MESSAGE;
//      more than MAX_FORWARD_JUMP ahead -> TOO_FAR_IN_FUTURE;
//   3. the Ed25519 signature over transcriptHash || memberId || header || sealed, with
//      the epoch's transcript hash and the member's identity key -> BAD_SIGNATURE;
//   4. only then derive (skipped keys for the gap, the message key, the next chain key),
//      open the AEAD -> AUTH_FAILED, remove the padding -> BAD_PADDING;
//   5. return the plaintext and a new state. On any failure the caller's state is
//      untouched (nothing here mutates it) and no new state is returned.
import { assertBytes, assertInteger, equalBytes, wipe } from '../bytes';
import { BAD_SIGNATURE, E2eeError } from '../errors';
import {
  DEFAULT_EPOCH_GRACE_MS,
  MAX_FORWARD_JUMP,
  MAX_SKIPPED_KEYS_PER_GROUP,
  MAX_SKIPPED_KEYS_PER_SENDER,
} from '../limits';
import { unpad } from '../padding';
import type { Primitives } from '../primitives/types';
import { decodeGroupMessage, MESSAGE_SIGNATURE_BYTES, type GroupMessageHeader } from '../wire/message';
import { messageKeyNonce, MESSAGE_KEY_BYTES, nextChainKey } from './chain';
import { messageAad, MESSAGE_SIGNATURE_PREFIX } from './encrypt';
import { DUPLICATE_MESSAGE, OWN_MESSAGE, SENDER_REMOVED, TOO_FAR_IN_FUTURE, UNKNOWN_EPOCH, UNKNOWN_SENDER, WRONG_GROUP } from './errors';
import { REVOKED, type ChainSlot, type EpochChains, type MessageMember, type ReceiverState, type ReceivingChain, type SkippedKey } from './state';

const OP = 'decryptGroupMessage';

export interface DecryptOptions {
  /** The caller's clock (ms). When given, replaced epochs past the grace window are refused and dropped. */
  readonly now?: number;
  /** Grace window for replaced epochs (ms); DEFAULT_EPOCH_GRACE_MS when absent. */
  readonly graceMs?: number;
}

export interface DecryptedGroupMessage {
  readonly plaintext: Uint8Array;
  readonly header: GroupMessageHeader;
  /** The sender's member ID and identity key, from the epoch's member list. */
  readonly sender: MessageMember;
  /** The state to persist (the input state is unchanged). */
  readonly nextState: ReceiverState;
}

/**
 * One buffer, reused across calls, for the bytes a message signature covers (public data
 * only: label prefix, transcript hash, member ID, header, sealed). A fresh 1 KiB array per
 * message costs more than the copy into it. Inputs above the cap get their own array.
 */
const SIGNED_REUSE_MAX_BYTES = 64 * 1024;
const PREFIX_BYTES = MESSAGE_SIGNATURE_PREFIX.length;
let signedBuffer = new Uint8Array(0);

/** prefix || transcriptHash || memberId || header || sealed (messageSignatureInput, without a fresh array). */
function signedInput(transcriptHash: Uint8Array, memberId: Uint8Array, headerAndSealed: Uint8Array): Uint8Array {
  const length = PREFIX_BYTES + 64 + headerAndSealed.length;
  let buf = signedBuffer;
  if (buf.length < length) {
    buf = new Uint8Array(length);
    if (length <= SIGNED_REUSE_MAX_BYTES) signedBuffer = buf;
  }
  buf.set(MESSAGE_SIGNATURE_PREFIX);
  buf.set(transcriptHash, PREFIX_BYTES);
  buf.set(memberId, PREFIX_BYTES + 32);
  buf.set(headerAndSealed, PREFIX_BYTES + 64);
  return buf.subarray(0, length);
}

function fail(code: string, message: string): never {
  throw new E2eeError(code, message, OP);
}

export function decryptGroupMessage(
  p: Primitives,
  state: ReceiverState,
  message: Uint8Array,
  opts: DecryptOptions = {},
): DecryptedGroupMessage {
  assertBytes('message', message);
  const parts = decodeGroupMessage(message);
  const h = parts.header;
  if (!equalBytes(h.groupId, state.groupId)) fail(WRONG_GROUP, 'message is for another group');

  let epochs = state.epochs;
  if (opts.now !== undefined) {
    const now = assertInteger('now', opts.now);
    const graceMs = assertInteger('graceMs', opts.graceMs ?? DEFAULT_EPOCH_GRACE_MS);
    epochs = epochs.filter((e) => e.retiredAt === null || now - e.retiredAt <= graceMs);
  }
  let ei = -1;
  for (let i = 0; i < epochs.length; i++) {
    if (epochs[i]!.epoch === h.epoch) {
      ei = i;
      break;
    }
  }
  if (ei < 0) fail(UNKNOWN_EPOCH, `no chains for epoch ${h.epoch}`);
  const ep = epochs[ei]!;
  if (h.senderIndex >= ep.members.length) fail(UNKNOWN_SENDER, 'sender index names no member of the epoch');
  const chain = ep.chains[h.senderIndex];
  if (!chain) fail(OWN_MESSAGE, 'message sent by this member');
  if (chain === REVOKED) fail(SENDER_REMOVED, 'the sender was removed from the group since this epoch');
  const sender = ep.members[h.senderIndex]!;

  const g = h.generation;
  let skippedAt = -1;
  if (g < chain.generation) {
    const list = chain.skipped;
    for (let i = 0; i < list.length; i++) {
      if (list[i]!.generation === g) {
        skippedAt = i;
        break;
      }
    }
    if (skippedAt < 0) fail(DUPLICATE_MESSAGE, 'generation already received or its key was evicted');
  } else if (g - chain.generation > MAX_FORWARD_JUMP) {
    fail(TOO_FAR_IN_FUTURE, `generation is more than ${MAX_FORWARD_JUMP} ahead of the chain`);
  }

  const signed = signedInput(ep.transcriptHash, sender.memberId, message.subarray(0, message.length - MESSAGE_SIGNATURE_BYTES));
  if (!p.ed25519Verify(sender.identityKey, signed, parts.signature)) {
    fail(BAD_SIGNATURE, 'message signature does not verify for this epoch and sender');
  }

  // Derive. Nothing below touches `state`; new arrays are built for what changes.
  let keyNonce: Uint8Array;
  let newChain: ReceivingChain;
  let added = 0;
  let nextSeq = state.nextSkippedSeq;
  if (skippedAt >= 0) {
    keyNonce = chain.skipped[skippedAt]!.keyNonce;
    const skipped = chain.skipped.slice();
    skipped.splice(skippedAt, 1);
    newChain = { chainKey: chain.chainKey, generation: chain.generation, skipped };
  } else {
    let ck = chain.chainKey;
    const fresh: SkippedKey[] = [];
    for (let gen = chain.generation; gen < g; gen++) {
      fresh.push({ generation: gen, seq: nextSeq++, keyNonce: messageKeyNonce(p, ck) });
      ck = nextChainKey(p, ck);
    }
    keyNonce = messageKeyNonce(p, ck);
    const next = nextChainKey(p, ck);
    let skipped: readonly SkippedKey[] = chain.skipped;
    if (fresh.length > 0) {
      const all = chain.skipped.concat(fresh);
      skipped = all.length > MAX_SKIPPED_KEYS_PER_SENDER ? all.slice(all.length - MAX_SKIPPED_KEYS_PER_SENDER) : all;
      added = fresh.length;
    }
    newChain = { chainKey: next, generation: g + 1, skipped };
  }

  const aad = messageAad(parts.headerBytes, ep.transcriptHash);
  let padded: Uint8Array;
  try {
    padded = p.xchachaOpen(keyNonce.subarray(0, MESSAGE_KEY_BYTES), keyNonce.subarray(MESSAGE_KEY_BYTES), parts.ciphertext, aad);
  } catch (e) {
    if (skippedAt < 0) wipe(keyNonce);
    throw e;
  }
  let plaintext: Uint8Array;
  try {
    plaintext = unpad(padded, OP); // a view of `padded`: after the plaintext come only the marker and zeros
  } catch (e) {
    wipe(padded);
    throw e;
  }
  if (skippedAt < 0) wipe(keyNonce);

  const chains = ep.chains.slice();
  chains[h.senderIndex] = newChain;
  const newEpoch: EpochChains = { ...ep, chains };
  let newEpochs = epochs.slice();
  newEpochs[ei] = newEpoch;
  if (added > 0) newEpochs = enforceGroupCap(newEpochs);
  const nextState: ReceiverState = { ...state, nextSkippedSeq: nextSeq, epochs: newEpochs };
  return { plaintext, header: h, sender, nextState };
}

function isChain(c: ChainSlot): c is ReceivingChain {
  return c !== null && c !== REVOKED;
}

/** Evicts the oldest skipped keys (smallest seq) group-wide beyond MAX_SKIPPED_KEYS_PER_GROUP. */
function enforceGroupCap(epochs: EpochChains[]): EpochChains[] {
  let total = 0;
  for (const e of epochs) for (const c of e.chains) if (isChain(c)) total += c.skipped.length;
  if (total <= MAX_SKIPPED_KEYS_PER_GROUP) return epochs;
  // Collect seqs, find the cut-off, rebuild only the chains that lose keys.
  const seqs: number[] = [];
  for (const e of epochs) for (const c of e.chains) if (isChain(c)) for (const k of c.skipped) seqs.push(k.seq);
  seqs.sort((a, b) => a - b);
  const cutoff = seqs[total - MAX_SKIPPED_KEYS_PER_GROUP]!; // keep seq >= cutoff
  return epochs.map((e) => {
    let changed = false;
    const chains = e.chains.map((c) => {
      if (!isChain(c) || c.skipped.length === 0 || c.skipped[0]!.seq >= cutoff) return c;
      changed = true;
      return { ...c, skipped: c.skipped.filter((k) => k.seq >= cutoff) };
    });
    return changed ? { ...e, chains } : e;
  });
}
