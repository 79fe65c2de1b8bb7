// Sending a group message, in two steps so that a generation is never used twice:
//
//   const prepared = encryptGroupMessage(p, senderState, plaintext, { identitySeed });
//   await store.saveSenderState(prepared.nextState);        // 1. persist the advanced chain
//   const bytes = prepared.release(persistedSenderState);   // 2. only now get the ciphertext
//   relay.send(bytes);
//
// `release` hands out the ciphertext only against a state that has moved past this
// message's generation (the object or the bytes that were written). If the process
// dies before step 1, the ciphertext never existed outside this call and the old state
// may safely produce the same generation again; if it dies after step 1, the reloaded
// state is already past the generation. Either way no two ciphertexts that leave the
// device share a key and nonce. release() may be called again (a retry resends the same
// bytes).
//
// Message construction (docs/PROTOCOL.md Part II):
//   keyNonce  = expandWithLabel(chainKey[g], "message key", "", 56)
//   header    = version || groupId || u32 epoch || u16 senderIndex || u32 g        (27 bytes)
//   sealed    = XChaCha20-Poly1305(key, nonce, pad(plaintext), aad = header || transcriptHash)
//   signature = Ed25519(identity, u8(len L) || L || transcriptHash || memberId || header || sealed),
//               L = "wxe2ee v1 sig group message"
//   message   = header || sealed || signature
import { assertBytes, assertInteger, equalBytes, isBytes, wipe } from '../bytes';
import { E2eeError } from '../errors';
import { signatureInput } from '../kdf';
import { SIG } from '../labels';
import { MAX_CHAIN_GENERATION } from '../limits';
import { pad } from '../padding';
import type { Primitives } from '../primitives/types';
import { GROUP_MESSAGE_HEADER_BYTES, MESSAGE_SIGNATURE_BYTES, MESSAGE_TAG_BYTES, writeHeader } from '../wire/message';
import { messageKeyNonce, MESSAGE_KEY_BYTES, nextChainKey } from './chain';
import { CHAIN_EXHAUSTED, STATE_NOT_PERSISTED } from './errors';
import { decodeSenderState, type SenderState } from './state';

/** u8(len L) || L for the message signature label: the fixed prefix of every signed input. */
export const MESSAGE_SIGNATURE_PREFIX = signatureInput(SIG.GROUP_MESSAGE, new Uint8Array(0));

export interface EncryptOptions {
  /** The sender's Ed25519 identity seed (32 bytes); its public key is in the epoch's member list. */
  readonly identitySeed: Uint8Array;
}

export interface PreparedGroupMessage {
  /** The sender state to persist before release(). */
  readonly nextState: SenderState;
  /** The generation this message uses. */
  readonly generation: number;
  /**
   * Returns the message bytes once `persisted` (the state object or bytes that were
   * written) is past this message's generation on the same chain. Throws
   * E2eeError(STATE_NOT_PERSISTED) otherwise. The first call returns the message itself,
   * later calls a copy each.
   */
  release(persisted: SenderState | Uint8Array): Uint8Array;
}

/** aad = header || transcriptHash. */
function buildAad(header: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
  const aad = new Uint8Array(GROUP_MESSAGE_HEADER_BYTES + 32);
  aad.set(header);
  aad.set(transcriptHash, GROUP_MESSAGE_HEADER_BYTES);
  return aad;
}

const PREFIX_BYTES = MESSAGE_SIGNATURE_PREFIX.length;
/** Offset of the header in the signature input: prefix || transcriptHash || memberId || header || sealed. */
const SIGNED_HEADER_AT = PREFIX_BYTES + 64;

/**
 * The bytes the message signature covers, label prefix included:
 *   u8(len L) || L || transcriptHash || memberId || header || sealed.
 * `headerAndSealed` is the message without its signature.
 */
export function messageSignatureInput(transcriptHash: Uint8Array, memberId: Uint8Array, headerAndSealed: Uint8Array): Uint8Array {
  const out = new Uint8Array(SIGNED_HEADER_AT + headerAndSealed.length);
  out.set(MESSAGE_SIGNATURE_PREFIX);
  out.set(transcriptHash, PREFIX_BYTES);
  out.set(memberId, PREFIX_BYTES + 32);
  out.set(headerAndSealed, SIGNED_HEADER_AT);
  return out;
}

export { buildAad as messageAad };

/**
 * Seals an already padded plaintext at the state's generation and signs it. Returns the
 * message and the next chain key. Internal: encryptGroupMessage is the API; the vector
 * generator uses this to build messages with deliberately bad padding.
 */
export function buildGroupMessage(
  p: Primitives,
  s: SenderState,
  padded: Uint8Array,
  identitySeed: Uint8Array,
): { message: Uint8Array; chainKey: Uint8Array } {
  const keyNonce = messageKeyNonce(p, s.chainKey);
  const chainKey = nextChainKey(p, s.chainKey);
  // One buffer holds the signature input and, as its tail, the message:
  //   [ prefix | transcriptHash | memberId | header | sealed | signature ]
  //                                        |<------- message -------->|
  const sealedLength = padded.length + MESSAGE_TAG_BYTES;
  const buf = new Uint8Array(SIGNED_HEADER_AT + GROUP_MESSAGE_HEADER_BYTES + sealedLength + MESSAGE_SIGNATURE_BYTES);
  buf.set(MESSAGE_SIGNATURE_PREFIX);
  buf.set(s.transcriptHash, PREFIX_BYTES);
  buf.set(s.memberId, PREFIX_BYTES + 32);
  const header = buf.subarray(SIGNED_HEADER_AT, SIGNED_HEADER_AT + GROUP_MESSAGE_HEADER_BYTES);
  writeHeader(header, s.groupId, s.epoch, s.senderIndex, s.generation);
  try {
    const sealed = p.xchachaSeal(
      keyNonce.subarray(0, MESSAGE_KEY_BYTES),
      keyNonce.subarray(MESSAGE_KEY_BYTES),
      padded,
      buildAad(header, s.transcriptHash),
    );
    buf.set(sealed, SIGNED_HEADER_AT + GROUP_MESSAGE_HEADER_BYTES);
  } finally {
    wipe(keyNonce);
  }
  const signedEnd = buf.length - MESSAGE_SIGNATURE_BYTES;
  buf.set(p.ed25519Sign(identitySeed, buf.subarray(0, signedEnd)), signedEnd);
  return { message: buf.subarray(SIGNED_HEADER_AT), chainKey };
}

export function encryptGroupMessage(
  p: Primitives,
  senderState: SenderState,
  plaintext: Uint8Array,
  opts: EncryptOptions,
): PreparedGroupMessage {
  assertBytes('identitySeed', opts.identitySeed, 32);
  const s = senderState;
  const generation = s.generation;
  if (generation >= MAX_CHAIN_GENERATION) {
    throw new E2eeError(CHAIN_EXHAUSTED, 'sending chain exhausted; start a new epoch', 'encryptGroupMessage');
  }
  const padded = pad(plaintext);
  let built: { message: Uint8Array; chainKey: Uint8Array };
  try {
    built = buildGroupMessage(p, s, padded, opts.identitySeed);
  } finally {
    wipe(padded);
  }
  const { message, chainKey } = built;
  const nextState: SenderState = { ...s, chainKey, generation: generation + 1 };
  let released = false;

  return {
    nextState,
    generation,
    release(persisted) {
      const ps = isBytes(persisted) ? decodeSenderState(persisted) : persisted;
      const sameChain =
        ps !== null &&
        typeof ps === 'object' &&
        isBytes(ps.groupId) &&
        equalBytes(ps.groupId, s.groupId) &&
        ps.epoch === s.epoch &&
        ps.senderIndex === s.senderIndex &&
        typeof ps.generation === 'number';
      if (!sameChain || ps.generation <= generation) {
        throw new E2eeError(STATE_NOT_PERSISTED, 'persist the next sender state before sending', 'release');
      }
      if (released) return message.slice();
      released = true;
      return message;
    },
  };
}

/**
 * Most generations a reservation may run ahead. After a crash the unused ones reach
 * receivers as a gap, which they bridge with skipped keys: far below MAX_FORWARD_JUMP, so a
 * crash right after a reservation never pushes the next message out of their reach.
 */
export const MAX_SENDER_RESERVATION = 256;

/**
 * The sending chain `generations` steps ahead of `s` (docs/PROTOCOL.md M6, "Reserving a
 * run"): persisted in place of each next state, it lets one write cover a run of sends,
 * since release() accepts it for every generation below its own. After a crash the device
 * resumes from it and never reuses a generation; the generations it skipped are a gap to
 * receivers. Intermediate chain keys are wiped; `s` is not changed.
 */
export function reserveSenderState(p: Primitives, s: SenderState, generations: number): SenderState {
  assertInteger('generations', generations, 1, MAX_SENDER_RESERVATION);
  const target = Math.min(s.generation + generations, MAX_CHAIN_GENERATION);
  let chainKey = s.chainKey;
  for (let g = s.generation; g < target; g++) {
    const next = nextChainKey(p, chainKey);
    if (chainKey !== s.chainKey) wipe(chainKey);
    chainKey = next;
  }
  return { ...s, chainKey, generation: target };
}
