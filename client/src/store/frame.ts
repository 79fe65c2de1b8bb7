// Framing shared by every store implementation.
//
// A log file is a sequence of frames; a key-value file is exactly one frame:
//
//   +----------------+----------------+--------------------+
//   | length (u32 BE)| CRC-32 (u32 BE)| payload (length B) |
//   +----------------+----------------+--------------------+
//
// CRC-32 is the IEEE polynomial (as in zip/PNG), over the payload only. It detects torn
// and damaged records; it is not a MAC (the at-rest threat model is in docs/CLIENT-STORAGE.md).
import { LOG_FRAME_HEADER_BYTES, MAX_LOG_RECORD_BYTES } from './limits';

const CRC_TABLE = (() => {
  const table = new Int32Array(256 * 4);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  // Slicing-by-4 tables.
  for (let n = 0; n < 256; n++) {
    let c = table[n]!;
    for (let t = 1; t < 4; t++) {
      c = table[c & 0xff]! ^ (c >>> 8);
      table[t * 256 + n] = c;
    }
  }
  return table;
})();

export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const t = CRC_TABLE;
  let crc = -1;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    crc ^= bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    crc =
      t[768 + (crc & 0xff)]! ^ t[512 + ((crc >>> 8) & 0xff)]! ^ t[256 + ((crc >>> 16) & 0xff)]! ^ t[(crc >>> 24) & 0xff]!;
  }
  for (; i < end; i++) crc = t[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

function writeU32(out: Uint8Array, offset: number, value: number): void {
  out[offset] = value >>> 24;
  out[offset + 1] = (value >>> 16) & 0xff;
  out[offset + 2] = (value >>> 8) & 0xff;
  out[offset + 3] = value & 0xff;
}

function readU32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
}

/** Frames every record into one buffer, ready to append. */
export function encodeFrames(records: readonly Uint8Array[], maxRecordBytes = MAX_LOG_RECORD_BYTES): Uint8Array {
  let total = 0;
  records.forEach((r, i) => {
    if (!(r instanceof Uint8Array)) throw new TypeError(`"records[${i}]" expected Uint8Array`);
    if (r.length > maxRecordBytes) throw new RangeError(`"records[${i}]" expected at most ${maxRecordBytes} bytes, got ${r.length}`);
    total += LOG_FRAME_HEADER_BYTES + r.length;
  });
  const out = new Uint8Array(total);
  let offset = 0;
  for (const r of records) {
    writeU32(out, offset, r.length);
    writeU32(out, offset + 4, crc32(r));
    out.set(r, offset + LOG_FRAME_HEADER_BYTES);
    offset += LOG_FRAME_HEADER_BYTES + r.length;
  }
  return out;
}

export interface DecodedFrames {
  records: Uint8Array[];
  /** Bytes of intact frames from the start; anything after is a torn or damaged tail. */
  validLength: number;
}

/**
 * Reads frames until the end or the first frame that is short or fails its CRC.
 * Records are views into `bytes` (no copy per record): pass a buffer nobody else holds.
 */
export function decodeFrames(bytes: Uint8Array, maxRecordBytes = MAX_LOG_RECORD_BYTES): DecodedFrames {
  const records: Uint8Array[] = [];
  let offset = 0;
  while (offset + LOG_FRAME_HEADER_BYTES <= bytes.length) {
    const length = readU32(bytes, offset);
    const start = offset + LOG_FRAME_HEADER_BYTES;
    if (length > maxRecordBytes || start + length > bytes.length) break;
    if (crc32(bytes, start, start + length) !== readU32(bytes, offset + 4)) break;
    records.push(bytes.subarray(start, start + length));
    offset = start + length;
  }
  return { records, validLength: offset };
}

/** Decodes a key-value file: exactly one intact frame, or null. */
export function decodeSingleFrame(bytes: Uint8Array, maxBytes: number): Uint8Array | null {
  const { records, validLength } = decodeFrames(bytes, maxBytes);
  return records.length === 1 && validLength === bytes.length ? records[0]!.slice() : null;
}
