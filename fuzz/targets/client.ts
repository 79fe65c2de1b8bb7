// Targets for client/: the store's CRC frames and key-value records, the history log
// records and the search-index snapshot. These decoders answer null (or E2E_ERR_STORE_CORRUPT)
// on junk by contract; a throw of anything else is a failure.
import { E2eeError } from '../../crypto/src/errors';
import { decodeRecord, encodePutRecords, encodeRecord } from '../../client/src/history/codec';
import { emptyNumeric, emptyStrings, NumericTerms, StringTerms } from '../../client/src/history/postings';
import { decodeSnapshot, encodeSnapshot, type Snapshot } from '../../client/src/history/snapshot';
import { indexTerms } from '../../client/src/history/text';
import type { StoredMessage } from '../../client/src/history/types';
import { crc32, decodeFrames, encodeFrames } from '../../client/src/store/frame';
import { unframeStoreValue } from '../../client/src/store/value';
import { mutateJson } from '../json-mutate';
import { Prng } from '../prng';
import { FuzzFailure, sameBytes, type Stage, type Target } from '../target';

function u32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) >>> 0) + (bytes[at + 1]! << 16) + (bytes[at + 2]! << 8) + bytes[at + 3]!;
}
function setU32(bytes: Uint8Array, at: number, v: number): void {
  bytes[at] = v >>> 24;
  bytes[at + 1] = (v >>> 16) & 0xff;
  bytes[at + 2] = (v >>> 8) & 0xff;
  bytes[at + 3] = v & 0xff;
}

/** Recomputes the CRC of every frame whose length fits, so mutations reach the record decoders. */
function fixFrameCrcs(input: Uint8Array): Uint8Array {
  const out = input.slice();
  let o = 0;
  while (o + 8 <= out.length) {
    const len = u32(out, o);
    if (o + 8 + len > out.length) break;
    setU32(out, o + 4, crc32(out, o + 8, o + 8 + len));
    o += 8 + len;
  }
  return out;
}

function messages(): StoredMessage[] {
  const base = { groupId: 'g1', sender: 'm1', mentions: [] as string[], mentionAll: false };
  return [
    { ...base, messageId: 'a1', seq: 1, timestamp: 1_800_000_000_000, type: 'text', text: '明天下午三点在医院门口见 @张三', mentions: ['m2'] },
    { ...base, messageId: 'a2', seq: 2, timestamp: 1_800_000_000_500, type: 'image', text: '', attachment: { blobId: 'b1', size: 1000, mime: 'image/jpeg', width: 10, height: 20, sha256: 'ab'.repeat(32), key: 'cd'.repeat(32) } },
    { ...base, messageId: 'a3', seq: 3, timestamp: 1_800_000_001_000, type: 'text', text: 'meeting moved 🎉', replyTo: 'a1', mentionAll: true },
    { ...base, messageId: 'a4', seq: 4, timestamp: 1_800_000_002_000, type: 'file', text: '合同.pdf', attachment: { name: '合同.pdf', size: 20 } },
  ];
}

function snapshotOf(texts: string[], logName: string): Uint8Array {
  const cjk = new NumericTerms(emptyNumeric());
  const words = new StringTerms(emptyStrings());
  texts.forEach((t, id) => {
    const terms = indexTerms(t);
    terms.cjk.forEach((k) => cjk.delta.add(k, id));
    terms.words.forEach((w) => words.delta.add(w, id));
  });
  return encodeSnapshot({ logName, records: texts.length + 1, docCount: texts.length, cjk: cjk.merge((d) => d), words: words.merge((d) => d) });
}

function checkBounded(s: Snapshot): void {
  for (const idx of [s.cjk, s.words]) {
    if (idx.offsets.length !== idx.keys.length + 1) throw new FuzzFailure('snapshot: offsets do not match keys');
    if (idx.offsets[idx.offsets.length - 1] !== idx.postings.length) throw new FuzzFailure('snapshot: last offset is not the posting count');
    for (let i = 1; i < idx.offsets.length; i++) if (idx.offsets[i]! < idx.offsets[i - 1]!) throw new FuzzFailure('snapshot: offsets decrease');
    for (const d of idx.postings) if (d < 0 || d >= s.docCount) throw new FuzzFailure('snapshot: posting outside 0..docCount');
  }
  for (let i = 1; i < s.cjk.keys.length; i++) if (!(s.cjk.keys[i]! > s.cjk.keys[i - 1]!)) throw new FuzzFailure('snapshot: CJK keys not ascending');
}

function jsonParses(bytes: Uint8Array): boolean {
  try {
    JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    return true;
  } catch {
    return false;
  }
}

export function clientTargets(): Target[] {
  return [
    {
      name: 'store-frames',
      entry: 'client/src/store/frame.ts decodeFrames (the append-only log file)',
      firstCheck: 'the first frame header (length within the cap and the buffer, CRC)',
      seeds: () => {
        const rng = new Prng('frames');
        return [encodeFrames([rng.bytes(10), rng.bytes(100), new Uint8Array(0)]), encodeFrames([rng.bytes(3000)]), encodeFrames(encodePutRecords(messages()))];
      },
      fixup: fixFrameCrcs,
      run(input): Stage {
        const { records, validLength } = decodeFrames(input);
        if (validLength > input.length) throw new FuzzFailure('validLength beyond the input');
        if (!sameBytes(encodeFrames(records), input.subarray(0, validLength))) throw new FuzzFailure('decoded frames do not re-encode to the valid prefix');
        if (validLength === input.length) return 'accepted';
        return records.length > 0 ? 'later' : 'first';
      },
    },
    {
      name: 'store-value',
      entry: 'client/src/store/value.ts unframeStoreValue (a key-value file)',
      firstCheck: 'the first frame’s header and CRC (E2E_ERR_STORE_CORRUPT with no intact frame)',
      seeds: () => {
        const rng = new Prng('values');
        return [encodeFrames([rng.bytes(32)]), encodeFrames([rng.bytes(2000)]), encodeFrames([new Uint8Array(0)])];
      },
      fixup: fixFrameCrcs,
      run(input): Stage {
        try {
          const v = unframeStoreValue(input);
          if (!sameBytes(encodeFrames([v]), input)) throw new FuzzFailure('accepted value does not re-frame to the input');
          return 'accepted';
        } catch (e) {
          // Past the first check: at least one intact frame (header and CRC), rejected for what follows it.
          if (e instanceof E2eeError && e.code === 'E2E_ERR_STORE_CORRUPT') return decodeFrames(input).records.length > 0 ? 'later' : 'first';
          throw e;
        }
      },
    },
    {
      name: 'history-record',
      entry: 'client/src/history/codec.ts decodeRecord (a history log record)',
      firstCheck: 'UTF-8 and JSON syntax',
      mutate: (rng, seed) => mutateJson(rng, seed),
      seeds: () => [...encodePutRecords(messages()), ...encodePutRecords(messages().slice(0, 1)), encodeRecord({ op: 'del', g: 'g1', i: 'a2' })],
      run(input): Stage {
        const r = decodeRecord(input);
        if (r === null) return jsonParses(input) ? 'later' : 'first';
        // An accepted record is valid data: it encodes and decodes to itself.
        const again = decodeRecord(encodeRecord(r));
        if (JSON.stringify(again) !== JSON.stringify(r)) throw new FuzzFailure('accepted record does not round-trip');
        return 'accepted';
      },
    },
    {
      name: 'history-snapshot',
      entry: 'client/src/history/snapshot.ts decodeSnapshot (the search index)',
      firstCheck: 'the trailing CRC-32',
      seeds: () => [snapshotOf(['明天去医院', 'meeting 医生', 'go goal 花开了', '医院 ok'], 'history-1'), snapshotOf([], 'h0'), snapshotOf(messages().map((m) => m.text), 'history-22')],
      fixup(input) {
        if (input.length < 4) return input;
        const out = input.slice();
        setU32(out, out.length - 4, crc32(out, 0, out.length - 4));
        return out;
      },
      run(input): Stage {
        const s = decodeSnapshot(input);
        if (s === null) return input.length >= 4 && crc32(input, 0, input.length - 4) === u32(input, input.length - 4) ? 'later' : 'first';
        checkBounded(s);
        return 'accepted';
      },
    },
  ];
}
