// The private fold: applies one log entry for THIS member (docs/PROTOCOL.md "Private fold").
//
// It runs the public fold first (a public-rule failure throws: the entry is not part of
// the log this member accepts). Then it recovers the new epoch secret (opens its envelope
// for remove/rotate, derives it otherwise), checks the confirmation MAC and, for a
// group-info entry, opens the group info. If any of these fails, the entry stays in the
// log (the relay and the other members accepted it) but this member raises a typed alarm
// (E2E_ERR_COMMIT_UNVERIFIABLE), drops its epoch secret and does not send until a remove
// or rotate on top gives it a fresh secret it can verify. Any member not leaving,
// including the alarmed one, may commit that rotation (recovery rule).
//
// Pure: returns new states; the inputs are never modified.
import { equalBytes, wipe } from '../bytes';
import { E2eeError, isE2eeError } from '../errors';
import { decodeEnvelope } from '../wire/envelope';
import { decodeLogEntry, entryHashOfContent, headHashOfEntry, logEntryContentOf, type LogEntry } from '../wire/log-entry';
import { decodePublicGroupState, type PublicGroupState } from '../wire/public-state';
import { decodeEpochSecretPayload, decodeWelcomePayload } from '../wire/welcome';
import { decodeGroupInfo, type GroupInfo } from '../wire/group-info';
import type { Primitives } from '../primitives/types';
import { openEnvelope } from '../envelope/envelope';
import { consumeOneTimePrekey, prekeyPrivateKey, type PrekeyStore } from '../identity/prekeys';
import {
  deriveEpochKeys,
  deriveEpochSecret,
  deriveJoinerSecret,
  isFreshSecretKind,
  verifyConfirmationMac,
} from '../epoch/schedule';
import { BROKEN_CHAIN, foldPublicEntryAsMember, INVALID_ENTRY, isMember, WRONG_GROUP } from './public-fold';
import { openGroupInfo } from './group-info-seal';
import {
  COMMIT_UNVERIFIABLE,
  NOT_A_MEMBER,
  type Alarm,
  type AlarmReason,
  type GroupMemberState,
} from './member-state';

export interface ProcessResult {
  readonly state: GroupMemberState;
  /** The prekey store after this entry (a used one-time prekey is deleted). */
  readonly prekeys: PrekeyStore;
  /** Set when this entry could not be verified (also recorded in state.alarm). */
  readonly alarm: Alarm | null;
  /** This entry removed this member. */
  readonly removed: boolean;
  /** The entry was already applied (e.g. this member's own commit echoed back): nothing changed. */
  readonly duplicate: boolean;
}

/** Opens this member's envelope for `entry`; null when it cannot (missing key, bad tag, junk). */
function openOwnEnvelope(p: Primitives, prekeys: PrekeyStore, envelopeBytes: Uint8Array): { payload: Uint8Array; oneTimeId: number | null } | null {
  try {
    const header = decodeEnvelope(envelopeBytes);
    const key = prekeyPrivateKey(prekeys, header.prekeyKind, header.prekeyId);
    if (!key) return null;
    const { payload } = openEnvelope(p, envelopeBytes, key);
    return { payload, oneTimeId: header.prekeyKind === 'one-time' ? header.prekeyId : null };
  } catch (e) {
    if (isE2eeError(e)) return null;
    throw e;
  }
}

/**
 * Applies one entry. `ownEnvelope` is this member's envelope when the entry lists it as a
 * recipient (the relay routes it by decodeEnvelopeRecipient), else null.
 */
export function processEntry(
  p: Primitives,
  state: GroupMemberState,
  prekeys: PrekeyStore,
  entryBytes: Uint8Array,
  ownEnvelope: Uint8Array | null,
): ProcessResult {
  const op = 'processEntry';
  if (state.removed) throw new E2eeError(NOT_A_MEMBER, 'this member is no longer in the group', op);
  if (equalBytes(headHashOfEntry(p, entryBytes), state.public.headHash)) {
    return { state, prekeys, alarm: null, removed: false, duplicate: true };
  }
  const { state: pub, entry } = foldPublicEntryAsMember(p, state.public, entryBytes, state.self, ownEnvelope);
  const entryHash = entryHashOfContent(p, logEntryContentOf(entryBytes));

  if (!isMember(pub, state.self)) {
    return { state: { ...state, public: pub, epochSecret: null, alarm: null, removed: true }, prekeys, alarm: null, removed: true, duplicate: false };
  }

  const raise = (reason: AlarmReason): ProcessResult => {
    const alarm: Alarm = { code: COMMIT_UNVERIFIABLE, epoch: entry.epoch, reason };
    return { state: { ...state, public: pub, epochSecret: null, alarm }, prekeys, alarm, removed: false, duplicate: false };
  };

  let joinerSecret: Uint8Array;
  let nextPrekeys = prekeys;
  if (isFreshSecretKind(entry.body.kind)) {
    if (!ownEnvelope) return raise('unopenable-envelope');
    const opened = openOwnEnvelope(p, prekeys, ownEnvelope);
    if (!opened) return raise('unopenable-envelope');
    try {
      joinerSecret = decodeEpochSecretPayload(opened.payload);
    } catch {
      return raise('unopenable-envelope');
    }
    if (opened.oneTimeId !== null) nextPrekeys = consumeOneTimePrekey(prekeys, opened.oneTimeId);
  } else {
    if (!state.epochSecret) {
      // Still in alarm: follow the public log until a fresh secret arrives.
      return { state: { ...state, public: pub }, prekeys, alarm: state.alarm, removed: false, duplicate: false };
    }
    joinerSecret = deriveJoinerSecret(p, state.epochSecret, pub.groupId, entry.epoch);
  }

  const epochSecret = deriveEpochSecret(p, joinerSecret, entryHash);
  wipe(joinerSecret);
  const keys = deriveEpochKeys(p, epochSecret, pub.groupId, entry.epoch);
  const macOk = verifyConfirmationMac(p, keys.confirmationKey, entryHash, entry.confirmationMac);
  wipe(keys.confirmationKey, keys.senderRoot, keys.groupInfoKey);
  if (!macOk) {
    wipe(epochSecret);
    return raise('bad-mac');
  }

  let groupInfo: GroupInfo | null = state.groupInfo;
  if (entry.body.kind === 'group-info') {
    const prevKeys = deriveEpochKeys(p, state.epochSecret!, state.public.groupId, state.public.epoch);
    try {
      groupInfo = openGroupInfo(p, prevKeys.groupInfoKey, pub.groupId, entry.epoch, entry.body.sealedInfo);
    } catch (e) {
      if (!isE2eeError(e)) throw e;
      wipe(epochSecret);
      return raise('bad-group-info');
    } finally {
      wipe(prevKeys.groupInfoKey, prevKeys.senderRoot, prevKeys.confirmationKey);
    }
  }

  return {
    state: { ...state, public: pub, epochSecret, groupInfo, alarm: null },
    prekeys: nextPrekeys,
    alarm: null,
    removed: false,
    duplicate: false,
  };
}

export interface JoinResult {
  readonly state: GroupMemberState;
  readonly prekeys: PrekeyStore;
}

/**
 * Joins a group from the add entry that welcomes this member and its welcome envelope.
 * The welcome carries the public state before the add; the joiner checks it against the
 * entry's prevHash, folds the entry on it (verifying the adder's signature and rights),
 * derives the epoch secret and checks the MAC. Throws E2eeError: COMMIT_UNVERIFIABLE when
 * the welcome does not open or verify, or the public fold's code.
 */
export function joinFromWelcome(
  p: Primitives,
  selfMemberId: Uint8Array,
  prekeys: PrekeyStore,
  entryBytes: Uint8Array,
  welcomeEnvelope: Uint8Array,
): JoinResult {
  const op = 'joinFromWelcome';
  const entry: LogEntry = decodeLogEntry(entryBytes);
  if (entry.body.kind !== 'add') throw new E2eeError(INVALID_ENTRY, 'a welcome comes with an add entry', op);
  const opened = openOwnEnvelope(p, prekeys, welcomeEnvelope);
  if (!opened) throw new E2eeError(COMMIT_UNVERIFIABLE, 'welcome does not open', op);
  let before: PublicGroupState;
  let welcome;
  try {
    welcome = decodeWelcomePayload(opened.payload);
    before = decodePublicGroupState(p, welcome.publicState);
  } catch (e) {
    if (isE2eeError(e)) throw new E2eeError(COMMIT_UNVERIFIABLE, 'welcome payload is malformed', op);
    throw e;
  }
  if (!equalBytes(before.groupId, entry.groupId)) throw new E2eeError(WRONG_GROUP, 'welcome is for another group', op);
  if (!equalBytes(before.headHash, entry.prevHash)) throw new E2eeError(BROKEN_CHAIN, 'welcome state is not the head the add builds on', op);
  const { state: pub } = foldPublicEntryAsMember(p, before, entryBytes, selfMemberId, welcomeEnvelope);
  if (!isMember(pub, selfMemberId)) throw new E2eeError(INVALID_ENTRY, 'the add does not add this member', op);

  const entryHash = entryHashOfContent(p, logEntryContentOf(entryBytes));
  const epochSecret = deriveEpochSecret(p, welcome.joinerSecret, entryHash);
  wipe(welcome.joinerSecret);
  const keys = deriveEpochKeys(p, epochSecret, pub.groupId, entry.epoch);
  const ok = verifyConfirmationMac(p, keys.confirmationKey, entryHash, entry.confirmationMac);
  wipe(keys.confirmationKey, keys.senderRoot, keys.groupInfoKey);
  if (!ok) {
    wipe(epochSecret);
    throw new E2eeError(COMMIT_UNVERIFIABLE, 'confirmation MAC of the add does not verify', op);
  }
  let groupInfo: GroupInfo | null = null;
  if (welcome.groupInfo.length) {
    try {
      groupInfo = decodeGroupInfo(welcome.groupInfo);
    } catch (e) {
      if (isE2eeError(e)) throw new E2eeError(COMMIT_UNVERIFIABLE, 'welcome group info is malformed', op);
      throw e;
    }
  }
  return {
    state: { version: 1, self: selfMemberId.slice(), public: pub, epochSecret, groupInfo, alarm: null, removed: false },
    prekeys: opened.oneTimeId !== null ? consumeOneTimePrekey(prekeys, opened.oneTimeId) : prekeys,
  };
}
