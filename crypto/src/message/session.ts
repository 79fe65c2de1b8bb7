// Entering an epoch: from part A's per-epoch output to this member's sender and
// receiver states.
//
// Every member's chain key 0 is derived at once from the sender root, and the sender
// root is not kept: the states hold only current chain keys (forward secrecy inside the
// epoch). The caller wipes its copy of the sender root once both states are persisted.
import { assertBytes, assertInteger, equalBytes } from '../bytes';
import { E2eeError } from '../errors';
import { DEFAULT_EPOCH_GRACE_MS, MAX_MESSAGE_EPOCH, MAX_PREVIOUS_EPOCHS, MESSAGE_GROUP_ID_BYTES } from '../limits';
import type { Primitives } from '../primitives/types';
import { initialChainKey } from './chain';
import { EPOCH_ORDER, NOT_A_MEMBER, WRONG_GROUP } from './errors';
import { indexOfMember, sortMembers } from './members';
import { REVOKED, type EpochChains, type MessageMember, type ReceiverState, type ReceivingChain, type SenderState } from './state';

/** What part A's key schedule hands the message layer for one epoch. */
export interface EpochInput {
  /** 16 bytes. */
  readonly groupId: Uint8Array;
  readonly epoch: number;
  /** Log head hash after the entry that started the epoch (32 bytes). */
  readonly transcriptHash: Uint8Array;
  /** 32 bytes from the epoch secret. */
  readonly senderRoot: Uint8Array;
  /** Every member of the epoch, in any order. */
  readonly members: readonly MessageMember[];
}

export interface StartEpochOptions {
  /** The caller's clock (ms). Stamps the replaced epoch, to bound its grace window. */
  readonly now: number;
  /** Grace window for replaced epochs (ms); DEFAULT_EPOCH_GRACE_MS when absent. */
  readonly graceMs?: number;
}

export interface EpochStates {
  readonly senderState: SenderState;
  readonly receiverState: ReceiverState;
}

/**
 * Starts the message layer for `input.epoch`. `previous` is this member's receiver state
 * for the group (null for the first epoch it sees, e.g. when joining): its current epoch
 * is retired at `now` and kept for the grace window; older ones past the window, or beyond
 * MAX_PREVIOUS_EPOCHS, are dropped. `previous` is not modified.
 */
export function startEpoch(
  p: Primitives,
  input: EpochInput,
  selfMemberId: Uint8Array,
  previous: ReceiverState | null,
  opts: StartEpochOptions,
): EpochStates {
  assertBytes('groupId', input.groupId, MESSAGE_GROUP_ID_BYTES);
  assertInteger('epoch', input.epoch, 0, MAX_MESSAGE_EPOCH);
  assertBytes('transcriptHash', input.transcriptHash, 32);
  assertBytes('senderRoot', input.senderRoot, 32);
  assertBytes('selfMemberId', selfMemberId, 32);
  assertInteger('now', opts.now);
  const graceMs = assertInteger('graceMs', opts.graceMs ?? DEFAULT_EPOCH_GRACE_MS);
  if (previous) {
    if (!equalBytes(previous.groupId, input.groupId)) throw new E2eeError(WRONG_GROUP, 'previous state is for another group', 'startEpoch');
    if (!equalBytes(previous.selfMemberId, selfMemberId)) throw new TypeError('"previous" belongs to another member');
    if (input.epoch <= previous.epochs[0]!.epoch) {
      throw new E2eeError(EPOCH_ORDER, `epoch ${input.epoch} does not follow ${previous.epochs[0]!.epoch}`, 'startEpoch');
    }
  }
  // A member who stays with the same identity key keeps the previous epoch's entry (public
  // bytes, never wiped): the grace-window epochs then share one copy of each member instead
  // of one per epoch (500 members x 4 epochs x 2 arrays otherwise, per group).
  const before = previous?.epochs[0]!.members;
  const members = sortMembers(input.members).map((m) => {
    const old = before ? before[indexOfMember(before, m.memberId)] : undefined;
    return old && equalBytes(old.identityKey, m.identityKey) ? old : m;
  });
  const selfIndex = indexOfMember(members, selfMemberId);
  if (selfIndex < 0) throw new E2eeError(NOT_A_MEMBER, 'this member is not in the epoch', 'startEpoch');
  const groupId = input.groupId.slice();
  const transcriptHash = input.transcriptHash.slice();
  let ownChainKey: Uint8Array | null = null;
  const chains: (ReceivingChain | null)[] = members.map((m, i) => {
    const chainKey = initialChainKey(p, input.senderRoot, groupId, input.epoch, m.memberId);
    if (i === selfIndex) {
      ownChainKey = chainKey;
      return null;
    }
    return { chainKey, generation: 0, skipped: [] };
  });
  const current: EpochChains = { epoch: input.epoch, transcriptHash, retiredAt: null, members, chains };
  // Replaced epochs keep their chains for the grace window, except those of members the
  // new epoch no longer has: a removed member's late messages in an old epoch are refused.
  const revoke = (e: EpochChains): EpochChains => {
    let changed = false;
    const chains = e.chains.map((c, i) => {
      if (!c || c === REVOKED || indexOfMember(members, e.members[i]!.memberId) >= 0) return c;
      changed = true;
      return REVOKED;
    });
    return changed ? { ...e, chains } : e;
  };
  const retired: EpochChains[] = previous
    ? previous.epochs.map((e, i) => revoke(i === 0 ? { ...e, retiredAt: opts.now } : e))
    : [];
  const kept = retired.filter((e) => opts.now - e.retiredAt! <= graceMs).slice(0, MAX_PREVIOUS_EPOCHS);
  const receiverState: ReceiverState = {
    version: 1,
    groupId,
    selfMemberId: selfMemberId.slice(),
    nextSkippedSeq: previous ? previous.nextSkippedSeq : 0,
    epochs: [current, ...kept],
  };
  const senderState: SenderState = {
    version: 1,
    groupId,
    epoch: input.epoch,
    transcriptHash,
    senderIndex: selfIndex,
    memberId: selfMemberId.slice(),
    chainKey: ownChainKey!,
    generation: 0,
  };
  return { senderState, receiverState };
}

/**
 * Drops replaced epochs whose grace window ended before `now` (their chain keys and
 * skipped keys go with them). Returns `state` itself when nothing expired.
 */
export function pruneReceiverState(state: ReceiverState, now: number, graceMs = DEFAULT_EPOCH_GRACE_MS): ReceiverState {
  assertInteger('now', now);
  assertInteger('graceMs', graceMs);
  const epochs = state.epochs.filter((e) => e.retiredAt === null || now - e.retiredAt <= graceMs);
  return epochs.length === state.epochs.length ? state : { ...state, epochs };
}
