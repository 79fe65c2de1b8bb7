// Error codes of the local store and history. Messages name the operation, never a
// key's content, a path or a message text.
import { E2eeError } from '../../../crypto/src/errors';

/** The platform refused a read or write (disk full, permission, missing directory...). */
export const STORE_IO = 'E2E_ERR_STORE_IO';
/** A stored record does not decode (bad checksum in a key-value record, bad snapshot). */
export const STORE_CORRUPT = 'E2E_ERR_STORE_CORRUPT';
/** The store (or a history opened on it) was closed. */
export const STORE_CLOSED = 'E2E_ERR_STORE_CLOSED';
/** The store directory is not owned by the current user, or its modes cannot be made owner-only. */
export const STORE_UNSAFE = 'E2E_ERR_STORE_UNSAFE';

export function storeError(code: string, message: string, operation: string): E2eeError {
  return new E2eeError(code, message, operation);
}
/** Another live process (or another open store in this process) holds the Node store directory. */
export const STORE_IN_USE = 'E2E_ERR_STORE_IN_USE';
