// The one rule for key-value record values, shared by every LocalStore implementation:
// a Uint8Array of at most MAX_STORE_VALUE_BYTES; on disk, exactly one framed (CRC-checked) record.
import { STORE_CORRUPT, storeError } from './errors';
import { decodeSingleFrame, encodeFrames } from './frame';
import { MAX_STORE_VALUE_BYTES } from './limits';

/** Checks a value handed to `put` (caller bugs are TypeError / RangeError naming the argument). */
export function assertStoreValue(value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError('"value" expected Uint8Array');
  if (value.length > MAX_STORE_VALUE_BYTES) throw new RangeError(`"value" expected at most ${MAX_STORE_VALUE_BYTES} bytes`);
  return value;
}

/** The bytes a file-backed store writes for a value. */
export function frameStoreValue(value: Uint8Array): Uint8Array {
  return encodeFrames([assertStoreValue(value)], MAX_STORE_VALUE_BYTES);
}

/** The value in a key-value file; a torn or altered file is E2E_ERR_STORE_CORRUPT. */
export function unframeStoreValue(bytes: Uint8Array): Uint8Array {
  const value = decodeSingleFrame(bytes, MAX_STORE_VALUE_BYTES);
  if (!value) throw storeError(STORE_CORRUPT, 'a stored value failed its checksum', 'get');
  return value;
}
