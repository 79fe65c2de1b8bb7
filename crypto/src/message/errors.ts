// Stable error codes of the message layer (docs/PROTOCOL.md Part II, "Errors").
export { BAD_PADDING } from '../padding';
export { UNSUPPORTED_VERSION } from '../wire/message';

/** The message's generation was already decrypted, or its key was evicted from the skipped-key cache. */
export const DUPLICATE_MESSAGE = 'E2E_ERR_DUPLICATE_MESSAGE';
/** The message is more than MAX_FORWARD_JUMP generations ahead of the receiver's chain. */
export const TOO_FAR_IN_FUTURE = 'E2E_ERR_TOO_FAR_IN_FUTURE';
/** The message belongs to another group. */
export const WRONG_GROUP = 'E2E_ERR_WRONG_GROUP';
/** The message's epoch is not one whose chains this state holds (future, or past the grace window). */
export const UNKNOWN_EPOCH = 'E2E_ERR_UNKNOWN_EPOCH';
/** The sender index names no member of the epoch. */
export const UNKNOWN_SENDER = 'E2E_ERR_UNKNOWN_SENDER';
/** The sender was removed by a later epoch this member has processed; its old-epoch messages are refused. */
export const SENDER_REMOVED = 'E2E_ERR_SENDER_REMOVED';
/** The message was sent by this member itself (its own chain is not a receiving chain). */
export const OWN_MESSAGE = 'E2E_ERR_OWN_MESSAGE';
/** The sending chain reached its last generation; the group must move to a new epoch. */
export const CHAIN_EXHAUSTED = 'E2E_ERR_CHAIN_EXHAUSTED';
/** release() was given a state that is not the persisted next state of this message. */
export const STATE_NOT_PERSISTED = 'E2E_ERR_STATE_NOT_PERSISTED';
/** The member is not in the epoch's member list. */
export const NOT_A_MEMBER = 'E2E_ERR_NOT_A_MEMBER';
/** A new epoch must have a higher number than the current one. */
export const EPOCH_ORDER = 'E2E_ERR_EPOCH_ORDER';
