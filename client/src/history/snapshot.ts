// The persisted index ("history/index" in the store). Byte layout, all integers varint
// (LEB128, unsigned, up to 2^53) unless marked:
//
//   magic "WXHI" | version u8 = 1
//   logName: varint length + UTF-8       the log this snapshot indexes
//   records: varint                      log records covered (replay starts after them)
//   docCount: varint                     put records among them (docIds 0..docCount-1)
//   CJK terms:   count, total postings, then per term: key gap (first: key), posting count, docId gaps
//   word terms:  count, total postings, words joined by "\n" (varint length + UTF-8), then
//                per term: posting count, docId gaps
//
//   CRC-32 (u32 BE) of everything before it
//
// docId gaps: first ID as is, then differences (>= 1). The CRC catches damage that would
// still parse (a changed gap is another valid ID); then decoding checks every bound
// (sorted keys, IDs < docCount, lengths within the buffer) and returns null on any
// violation: the caller then rebuilds the index from the log.
import { crc32 } from '../store/frame';
import type { BaseNumeric, BaseStrings } from './postings';
import { decodeUtf8, encodeUtf8 } from './utf8';

const MAGIC = [0x57, 0x58, 0x48, 0x49]; // "WXHI"
const VERSION = 1;

export interface Snapshot {
  logName: string;
  records: number;
  docCount: number;
  cjk: BaseNumeric;
  words: BaseStrings;
}

class Writer {
  buf = new Uint8Array(1 << 16);
  n = 0;
  private room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.n + k) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }
  varint(v: number): void {
    this.room(8);
    while (v >= 0x80) {
      this.buf[this.n++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.n++] = v;
  }
  bytes(b: Uint8Array): void {
    this.varint(b.length);
    this.room(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
  }
}

class Corrupt extends Error {}


class Reader {
  i = 0;
  constructor(readonly buf: Uint8Array) {}
  varint(): number {
    // Fast path: most values (ID gaps, counts) fit in one or two bytes.
    const buf = this.buf;
    const i = this.i;
    if (i + 1 < buf.length) {
      const b0 = buf[i]!;
      if (b0 < 0x80) {
        this.i = i + 1;
        return b0;
      }
      const b1 = buf[i + 1]!;
      if (b1 < 0x80) {
        this.i = i + 2;
        return (b0 & 0x7f) | (b1 << 7);
      }
    }
    let v = 0;
    let scale = 1;
    for (let k = 0; k < 8; k++) {
      if (this.i >= this.buf.length) throw new Corrupt();
      const b = this.buf[this.i++]!;
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 0x80;
    }
    throw new Corrupt();
  }
  bytes(): Uint8Array {
    const len = this.varint();
    if (this.i + len > this.buf.length) throw new Corrupt();
    const out = this.buf.subarray(this.i, this.i + len);
    this.i += len;
    return out;
  }
}

function writePostings(w: Writer, postings: Int32Array, from: number, to: number): void {
  w.varint(to - from);
  let prev = -1;
  for (let p = from; p < to; p++) {
    const d = postings[p]!;
    w.varint(prev < 0 ? d : d - prev);
    prev = d;
  }
}

export function encodeSnapshot(s: Snapshot): Uint8Array {
  const w = new Writer();
  for (const b of MAGIC) w.varint(b);
  w.varint(VERSION);
  w.bytes(encodeUtf8(s.logName));
  w.varint(s.records);
  w.varint(s.docCount);
  const { keys, offsets, postings } = s.cjk;
  w.varint(keys.length);
  w.varint(offsets[keys.length]!);
  for (let t = 0; t < keys.length; t++) {
    w.varint(t === 0 ? keys[0]! : keys[t]! - keys[t - 1]!);
    writePostings(w, postings, offsets[t]!, offsets[t + 1]!);
  }
  const words = s.words;
  w.varint(words.keys.length);
  w.varint(words.offsets[words.keys.length]!);
  w.bytes(encodeUtf8(words.keys.join('\n')));
  for (let t = 0; t < words.keys.length; t++) writePostings(w, words.postings, words.offsets[t]!, words.offsets[t + 1]!);
  const out = new Uint8Array(w.n + 4);
  out.set(w.buf.subarray(0, w.n));
  new DataView(out.buffer).setUint32(w.n, crc32(out, 0, w.n));
  return out;
}

/** Reads postings for `terms` terms into one array; checks sortedness and bounds. */
function readPostings(
  r: Reader,
  docCount: number,
  terms: number,
  total: number,
  readKey?: (t: number) => void,
): { offsets: Uint32Array; postings: Int32Array } {
  const offsets = new Uint32Array(terms + 1);
  const postings = new Int32Array(total);
  let n = 0;
  for (let t = 0; t < terms; t++) {
    readKey?.(t);
    const count = r.varint();
    if (count === 0 || count > docCount || n + count > total) throw new Corrupt();
    let prev = -1;
    for (let k = 0; k < count; k++) {
      const gap = r.varint();
      const d = prev < 0 ? gap : prev + gap;
      if ((prev >= 0 && gap === 0) || d >= docCount) throw new Corrupt();
      postings[n++] = d;
      prev = d;
    }
    offsets[t + 1] = n;
  }
  if (n !== total) throw new Corrupt();
  return { offsets, postings };
}

/** The snapshot, or null when the bytes are not a well-formed snapshot of this version. */
export function decodeSnapshot(input: Uint8Array): Snapshot | null {
  if (input.length < 4) return null;
  const bodyLength = input.length - 4;
  const stored = new DataView(input.buffer, input.byteOffset, input.byteLength).getUint32(bodyLength);
  if (crc32(input, 0, bodyLength) !== stored) return null;
  const bytes = input.subarray(0, bodyLength);
  try {
    const r = new Reader(bytes);
    for (const b of MAGIC) if (r.varint() !== b) return null;
    if (r.varint() !== VERSION) return null;
    const logName = decodeUtf8(r.bytes());
    if (logName === null) return null;
    const records = r.varint();
    const docCount = r.varint();
    if (docCount > 0x7fffffff) return null;

    // Every term and every posting takes at least one byte: bounds what junk can make us allocate.
    const cjkTerms = r.varint();
    const cjkTotal = r.varint();
    if (cjkTerms > bytes.length || cjkTotal > bytes.length) return null;
    const keys = new Float64Array(cjkTerms);
    const cjk = readPostings(r, docCount, cjkTerms, cjkTotal, (t) => {
      const gap = r.varint();
      keys[t] = t === 0 ? gap : keys[t - 1]! + gap;
      if (t > 0 && gap === 0) throw new Corrupt();
    });

    const wordTerms = r.varint();
    const wordTotal = r.varint();
    if (wordTerms > bytes.length || wordTotal > bytes.length) return null;
    const joined = decodeUtf8(r.bytes());
    if (joined === null) return null;
    const words = wordTerms === 0 ? [] : joined.split('\n');
    if (words.length !== wordTerms) return null;
    for (let t = 1; t < words.length; t++) if (!(words[t - 1]! < words[t]!)) return null;
    const wp = readPostings(r, docCount, wordTerms, wordTotal);
    if (r.i !== bytes.length) return null;
    return { logName, records, docCount, cjk: { keys, ...cjk }, words: { keys: words, ...wp } };
  } catch {
    return null; // Corrupt, or an allocation the bytes asked for that cannot be made
  }
}
