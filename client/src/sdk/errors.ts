// Stable error codes of the SDK engine and facade (docs/ERRORS.md "Client SDK").
// Protocol failures from crypto/ keep their own codes; relay refusals arrive as
// E2E_ERR_RELAY_<NAME> from client/src/net.
import { E2eeError, isE2eeError } from '../../../crypto/src/errors';

/** The client was closed; every later call rejects with this. */
export const SDK_CLOSED = 'E2E_ERR_SDK_CLOSED';
/** No group with this ID on this device (never joined, or forgotten). */
export const SDK_UNKNOWN_GROUP = 'E2E_ERR_SDK_UNKNOWN_GROUP';
/** The group is not active on this device: this member left, was removed, or the group was dissolved. */
export const SDK_NOT_ACTIVE = 'E2E_ERR_SDK_NOT_ACTIVE';
/** This member may not do this under the group's roles and policy (checked before anything is sent). */
export const SDK_FORBIDDEN = 'E2E_ERR_SDK_FORBIDDEN';
/** This member is muted, or the whole group is muted for members. */
export const SDK_MUTED = 'E2E_ERR_SDK_MUTED';
/** The group is in alarm state (an unverifiable commit) and waits for a rotation; nothing can be sent. */
export const SDK_ALARM = 'E2E_ERR_SDK_ALARM';
/** A commit lost the relay's compare-and-swap too many times in a row. */
export const SDK_COMMIT_RACE = 'E2E_ERR_SDK_COMMIT_RACE';
/** A send could not be completed after repeated epoch changes or reconnects. */
export const SDK_SEND_FAILED = 'E2E_ERR_SDK_SEND_FAILED';
/** A wait (pending removal, reconnect) took longer than its bound. */
export const SDK_TIMEOUT = 'E2E_ERR_SDK_TIMEOUT';
/** The relay has no prekey for the member to invite (it never registered, or ran out and claims are limited). */
export const SDK_NO_PREKEY = 'E2E_ERR_SDK_NO_PREKEY';
/** A prekey bundle the relay answered names another identity than the member ID asked for. */
export const SDK_IDENTITY_MISMATCH = 'E2E_ERR_SDK_IDENTITY_MISMATCH';
/** An invite link does not parse. */
export const SDK_BAD_LINK = 'E2E_ERR_SDK_BAD_LINK';
/** The group's join policy does not allow this (e.g. a link for an invite-only group). */
export const SDK_JOIN_REFUSED = 'E2E_ERR_SDK_JOIN_REFUSED';
/** No pending join request with this ID. */
export const SDK_UNKNOWN_REQUEST = 'E2E_ERR_SDK_UNKNOWN_REQUEST';
/** Persisted SDK state does not decode (corrupt store, or written by an unknown version). */
export const SDK_STATE_CORRUPT = 'E2E_ERR_SDK_STATE_CORRUPT';
/** The member is already in the group. */
export const SDK_ALREADY_MEMBER = 'E2E_ERR_SDK_ALREADY_MEMBER';

export function sdkError(code: string, message: string, operation: string): E2eeError {
  return new E2eeError(code, message, operation);
}

/** The relay refusal name of an error from client/src/net (RelayRefusal), or undefined. */
export function relayErrorOf(e: unknown): string | undefined {
  if (!isE2eeError(e)) return undefined;
  const r = (e as unknown as { relayError?: unknown }).relayError;
  if (typeof r === 'string') return r;
  return e.code.startsWith('E2E_ERR_RELAY_') ? e.code.slice('E2E_ERR_RELAY_'.length) : undefined;
}
