// Limits of the local store. Values are bytes unless the name says otherwise.

/** Characters of a key or log name. */
export const MAX_STORE_NAME_CHARS = 200;
/** Bytes of one key-value record (an index snapshot of 100,000 messages is ~25 MB). */
export const MAX_STORE_VALUE_BYTES = 128 * 1024 * 1024;
/** Bytes of one log record. */
export const MAX_LOG_RECORD_BYTES = 1024 * 1024;
/** Bytes of the frame header before each log record: u32 length, u32 CRC-32 (big-endian). */
export const LOG_FRAME_HEADER_BYTES = 8;
