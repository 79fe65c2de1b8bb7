// Error codes of message content (docs/ERRORS.md, "Message content and the send pipeline").
import { E2eeError } from '../../../crypto/src/errors';

/** Content bytes do not decode (truncated, trailing bytes, bad UTF-8/UTF-16, non-canonical, a rule broken). */
export const CONTENT_MALFORMED = 'E2E_ERR_CONTENT_MALFORMED';
/** Content of a version or type this client does not know (sent by a newer client). */
export const CONTENT_UNSUPPORTED = 'E2E_ERR_CONTENT_UNSUPPORTED';
/** A field or the whole content exceeds its cap (limits.ts). */
export const CONTENT_TOO_LARGE = 'E2E_ERR_CONTENT_TOO_LARGE';

export function contentError(code: string, message: string, operation: string): E2eeError {
  return new E2eeError(code, message, operation);
}
