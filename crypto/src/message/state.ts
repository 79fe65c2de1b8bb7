// Message-layer state: plain, versioned data with a lossless byte encoding.
//
// Two objects per member and group, as in Megolm's outbound/inbound sessions:
// - SenderState: this member's own sending chain in the current epoch (small; persisted
//   before every send, see encrypt.ts).
// - ReceiverState: every other member's receiving chain in the current epoch and in up to
//   MAX_PREVIOUS_EPOCHS replaced epochs still inside their grace window, with the bounded
//   cache of skipped message keys.
// Both hold only current chain keys: never a sender root or an earlier chain key, so a
// state captured later cannot decrypt a message already received (forward secrecy
// inside an epoch). Every function returns a new object; nothing is mutated.
//
// Encodings (big-endian, docs/PROTOCOL.md Part II "State encoding"):
//   SenderState   = u8 version=1 || u8 kind=1 || groupId(16) || u32 epoch || transcriptHash(32)
//                   || u16 senderIndex || memberId(32) || chainKey(32) || u32 generation
//   ReceiverState = u8 version=1 || u8 kind=2 || groupId(16) || selfMemberId(32) || u64 nextSkippedSeq
//                   || u8 epochCount || EpochChains * epochCount   (current epoch first, epochs decreasing)
//   EpochChains   = u32 epoch || transcriptHash(32) || u8 retired (0|1) || [u64 retiredAt if retired]
//                   || u16 memberCount || Member * memberCount     (sorted by memberId, strictly)
//   Member        = memberId(32) || identityKey(32) || u8 chainState (0 self, 1 chain, 2 revoked)
//                   || [if 1: chainKey(32) || u32 generation || u16 skippedCount || Skipped * skippedCount]
//                   (2 only in replaced epochs: the member is not in the current epoch)
//   Skipped       = u32 generation || u64 seq || keyNonce(56)   (generations strictly increasing, < chain generation)
import { equalBytes } from '../bytes';
import { compareBytes, indexOfMember } from './members';
import { E2eeError } from '../errors';
import {
  MAX_CHAIN_GENERATION,
  MAX_GROUP_MEMBERS,
  MAX_MESSAGE_EPOCH,
  MAX_PREVIOUS_EPOCHS,
  MAX_SKIPPED_KEYS_PER_GROUP,
  MAX_SKIPPED_KEYS_PER_SENDER,
  MESSAGE_GROUP_ID_BYTES,
} from '../limits';
import { WireReader, WireWriter } from '../wire/codec';
import { UNSUPPORTED_VERSION } from '../wire/message';
import { KEY_NONCE_BYTES } from './chain';

export const MESSAGE_STATE_VERSION = 1;
const KIND_SENDER = 1;
const KIND_RECEIVER = 2;

export interface MessageMember {
  /** 32 bytes (part A's memberIdOf(identityKey)). */
  readonly memberId: Uint8Array;
  /** Ed25519 public key, 32 bytes. */
  readonly identityKey: Uint8Array;
}

export interface SenderState {
  readonly version: 1;
  readonly groupId: Uint8Array;
  readonly epoch: number;
  readonly transcriptHash: Uint8Array;
  readonly senderIndex: number;
  readonly memberId: Uint8Array;
  /** Chain key of `generation`, the next generation to send. */
  readonly chainKey: Uint8Array;
  readonly generation: number;
}

export interface SkippedKey {
  readonly generation: number;
  /** Group-wide insertion counter: the smallest is evicted first. */
  readonly seq: number;
  /** Message key (32) || nonce (24). */
  readonly keyNonce: Uint8Array;
}

export interface ReceivingChain {
  /** Chain key of `generation`, the next generation expected. */
  readonly chainKey: Uint8Array;
  readonly generation: number;
  /** Keys of skipped generations, generation increasing. */
  readonly skipped: readonly SkippedKey[];
}

/**
 * The chain slot of a member removed by a later epoch: its messages in this replaced epoch
 * are refused from then on (its keys and skipped keys are gone).
 */
export const REVOKED = 'revoked';
export type ChainSlot = ReceivingChain | null | typeof REVOKED;

export interface EpochChains {
  readonly epoch: number;
  readonly transcriptHash: Uint8Array;
  /** When this epoch was replaced (caller's clock, ms), or null for the current epoch. */
  readonly retiredAt: number | null;
  /** Sorted by memberId; the sender index of a message indexes this list. */
  readonly members: readonly MessageMember[];
  /** One per member: null at this member's own index, REVOKED for a member removed since. */
  readonly chains: readonly ChainSlot[];
}

export interface ReceiverState {
  readonly version: 1;
  readonly groupId: Uint8Array;
  readonly selfMemberId: Uint8Array;
  readonly nextSkippedSeq: number;
  /** Current epoch first, then replaced epochs, newest first. */
  readonly epochs: readonly EpochChains[];
}

function unsupported(what: string, version: number): never {
  throw new E2eeError(UNSUPPORTED_VERSION, `${what}: unsupported state version ${version}`, `decode ${what}`);
}

export function encodeSenderState(s: SenderState): Uint8Array {
  return new WireWriter(160)
    .u8(MESSAGE_STATE_VERSION)
    .u8(KIND_SENDER)
    .fixed(s.groupId, MESSAGE_GROUP_ID_BYTES)
    .u32(s.epoch)
    .fixed(s.transcriptHash, 32)
    .u16(s.senderIndex)
    .fixed(s.memberId, 32)
    .fixed(s.chainKey, 32)
    .u32(s.generation)
    .finish();
}

export function decodeSenderState(bytes: Uint8Array): SenderState {
  const r = new WireReader(bytes, 'sender state');
  const version = r.u8('version');
  if (version !== MESSAGE_STATE_VERSION) unsupported('sender state', version);
  if (r.u8('kind') !== KIND_SENDER) r.fail('kind', 'not a sender state');
  const groupId = r.fixed('groupId', MESSAGE_GROUP_ID_BYTES);
  const epoch = r.u32('epoch');
  const transcriptHash = r.fixed('transcriptHash', 32);
  const senderIndex = r.u16('senderIndex');
  if (senderIndex >= MAX_GROUP_MEMBERS) r.fail('senderIndex', 'exceeds the group size cap');
  const memberId = r.fixed('memberId', 32);
  const chainKey = r.fixed('chainKey', 32);
  const generation = r.u32('generation');
  r.end();
  return { version: 1, groupId, epoch, transcriptHash, senderIndex, memberId, chainKey, generation };
}

/**
 * Encoded bytes of each epoch, by object. States are immutable and a received message
 * replaces only the epoch it was sent in: the other epochs (up to MAX_PREVIOUS_EPOCHS
 * retired ones, each listing every member, ~10 KB in a 100-member group) are the same
 * objects from one record write to the next, and are copied instead of encoded again.
 * Weak: an entry holds the same secrets as its epoch object (chain keys, skipped keys) and
 * goes when that object does, never later.
 */
const encodedEpochs = new WeakMap<EpochChains, Uint8Array>();

function encodeEpoch(e: EpochChains): Uint8Array {
  const known = encodedEpochs.get(e);
  if (known) return known;
  const w = new WireWriter(1024).u32(e.epoch).fixed(e.transcriptHash, 32);
  if (e.retiredAt === null) w.u8(0);
  else w.u8(1).u64(e.retiredAt);
  w.u16(e.members.length);
  e.members.forEach((m, i) => {
    w.fixed(m.memberId, 32).fixed(m.identityKey, 32);
    const c = e.chains[i];
    if (!c) {
      w.u8(0);
      return;
    }
    if (c === REVOKED) {
      w.u8(2);
      return;
    }
    w.u8(1).fixed(c.chainKey, 32).u32(c.generation).u16(c.skipped.length);
    for (const k of c.skipped) w.u32(k.generation).u64(k.seq).fixed(k.keyNonce, KEY_NONCE_BYTES);
  });
  const bytes = w.finish();
  encodedEpochs.set(e, bytes);
  return bytes;
}

export function encodeReceiverState(s: ReceiverState): Uint8Array {
  const head = new WireWriter(128)
    .u8(MESSAGE_STATE_VERSION)
    .u8(KIND_RECEIVER)
    .fixed(s.groupId, MESSAGE_GROUP_ID_BYTES)
    .fixed(s.selfMemberId, 32)
    .u64(s.nextSkippedSeq)
    .u8(s.epochs.length)
    .finish();
  const parts = s.epochs.map(encodeEpoch);
  const out = new Uint8Array(parts.reduce((n, b) => n + b.length, head.length));
  out.set(head);
  let at = head.length;
  for (const b of parts) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

export function decodeReceiverState(bytes: Uint8Array): ReceiverState {
  const r = new WireReader(bytes, 'receiver state');
  const version = r.u8('version');
  if (version !== MESSAGE_STATE_VERSION) unsupported('receiver state', version);
  if (r.u8('kind') !== KIND_RECEIVER) r.fail('kind', 'not a receiver state');
  const groupId = r.fixed('groupId', MESSAGE_GROUP_ID_BYTES);
  const selfMemberId = r.fixed('selfMemberId', 32);
  const nextSkippedSeq = r.u64('nextSkippedSeq');
  const epochCount = r.u8('epochCount');
  if (epochCount < 1 || epochCount > MAX_PREVIOUS_EPOCHS + 1) r.fail('epochCount', `${epochCount} outside 1..${MAX_PREVIOUS_EPOCHS + 1}`);
  const epochs: EpochChains[] = [];
  let totalSkipped = 0;
  for (let ei = 0; ei < epochCount; ei++) {
    const epoch = r.u32('epoch');
    if (epoch > MAX_MESSAGE_EPOCH) r.fail('epoch', 'out of range');
    const prev = epochs[ei - 1];
    if (prev && epoch >= prev.epoch) r.fail('epoch', 'epochs must be strictly decreasing');
    const transcriptHash = r.fixed('transcriptHash', 32);
    const retired = r.enumU8('retired', [0, 1] as const);
    const retiredAt = retired === 1 ? r.u64('retiredAt') : null;
    if ((ei === 0) !== (retiredAt === null)) r.fail('retired', 'only the current (first) epoch is not retired');
    const memberCount = r.u16('memberCount');
    if (memberCount < 1 || memberCount > MAX_GROUP_MEMBERS) r.fail('memberCount', `${memberCount} outside 1..${MAX_GROUP_MEMBERS}`);
    const members: MessageMember[] = [];
    const chains: ChainSlot[] = [];
    let selfSeen = false;
    for (let mi = 0; mi < memberCount; mi++) {
      const memberId = r.fixed('memberId', 32);
      const last = members[mi - 1];
      if (last && compareBytes(last.memberId, memberId) >= 0) r.fail('members', 'not strictly sorted by member ID');
      const identityKey = r.fixed('identityKey', 32);
      // As startEpoch does: a member unchanged since the newest epoch shares its entry.
      const newer = epochs[0] && epochs[0].members[indexOfMember(epochs[0].members, memberId)];
      members.push(newer && equalBytes(newer.identityKey, identityKey) ? newer : { memberId, identityKey });
      const isSelf = compareBytes(memberId, selfMemberId) === 0;
      const chainState = r.enumU8('chainState', [0, 1, 2] as const);
      if ((chainState === 0) !== isSelf) r.fail('chainState', 'exactly the own member has no receiving chain');
      if (isSelf) {
        selfSeen = true;
        chains.push(null);
        continue;
      }
      if (chainState === 2) {
        if (ei === 0) r.fail('chainState', 'the current epoch has no revoked chains');
        chains.push(REVOKED);
        continue;
      }
      const chainKey = r.fixed('chainKey', 32);
      const generation = r.u32('generation');
      if (generation > MAX_CHAIN_GENERATION) r.fail('generation', 'out of range');
      const skippedCount = r.u16('skippedCount');
      if (skippedCount > MAX_SKIPPED_KEYS_PER_SENDER) r.fail('skippedCount', 'exceeds the per-sender cap');
      totalSkipped += skippedCount;
      if (totalSkipped > MAX_SKIPPED_KEYS_PER_GROUP) r.fail('skippedCount', 'exceeds the per-group cap');
      const skipped: SkippedKey[] = [];
      for (let k = 0; k < skippedCount; k++) {
        const g = r.u32('skipped.generation');
        const seq = r.u64('skipped.seq');
        const keyNonce = r.fixed('skipped.keyNonce', KEY_NONCE_BYTES);
        const before = skipped[k - 1];
        if ((before && g <= before.generation) || g >= generation) r.fail('skipped.generation', 'not increasing below the chain generation');
        if (seq >= nextSkippedSeq) r.fail('skipped.seq', 'not below nextSkippedSeq');
        skipped.push({ generation: g, seq, keyNonce });
      }
      chains.push({ chainKey, generation, skipped });
    }
    if (!selfSeen) r.fail('members', 'the own member is missing');
    epochs.push({ epoch, transcriptHash, retiredAt, members, chains });
  }
  r.end();
  return { version: 1, groupId, selfMemberId, nextSkippedSeq, epochs };
}
