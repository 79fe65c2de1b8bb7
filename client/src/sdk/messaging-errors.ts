// Error codes the messaging layer raises on send (docs/ERRORS.md). Refusals that the
// engine can raise too use the engine's codes (same strings, documented under "Client
// SDK"), so a caller branches on one code whichever layer refused.
import { E2eeError } from '../../../crypto/src/errors';

/** This member is muted, or the whole group is muted for members (engine code). */
export const SEND_MUTED = 'E2E_ERR_SDK_MUTED';
/** The policy does not let this member's role do this, e.g. send files or media (engine code). */
export const SEND_FORBIDDEN = 'E2E_ERR_SDK_FORBIDDEN';
/** No group with this ID on this device (engine code). */
export const SEND_UNKNOWN_GROUP = 'E2E_ERR_SDK_UNKNOWN_GROUP';
/** This member left, was removed, or the group was dissolved (engine code). */
export const SEND_NOT_ACTIVE = 'E2E_ERR_SDK_NOT_ACTIVE';
/** A vote, close, answer, accept, reply, recall or download names a message this device does not have (or of the wrong kind). */
export const CONTENT_UNKNOWN_TARGET = 'E2E_ERR_CONTENT_UNKNOWN_TARGET';
/** The content rules refuse the action: a closed poll, a bad choice, an accept by another member, a recall too late or without the role. */
export const CONTENT_REFUSED = 'E2E_ERR_CONTENT_REFUSED';

export function messagingError(code: string, message: string, operation: string): E2eeError {
  return new E2eeError(code, message, operation);
}
