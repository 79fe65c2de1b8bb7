// Property: on random Chinese / Latin / mixed corpora, search returns exactly the
// messages a naive scan says contain the query, through every index state: fresh
// delta, a snapshot base plus delta, after recalls, after compaction, after a reopen.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMemoryBacking, createMemoryStore } from '../store/memory-store';
import { decodeRecord, searchableText } from './codec';
import { openHistory } from './history-store';
import { crc32 } from '../store/frame';
import { decodeSnapshot, encodeSnapshot } from './snapshot';
import { emptyNumeric, emptyStrings, NumericTerms, StringTerms } from './postings';
import { indexTerms, normalize, parseQuery, segment } from './text';
import type { StoredMessage } from './types';

const HAN = ['医', '院', '生', '明', '天', '去', '的', '了', '花', '会', '𠮷'];
const LATIN = ['meet', 'meeting', 'me', 'go', 'goal', 'OK', 'ok', 'a', 'ab', 'Ｍeet', 'ＯＫ', '3pm', '402'];
const SEP = [' ', '，', '！', '😀', '\u3000', '-'];

const TINY = ['医', '院', '生'];
const token = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...HAN) },
  { weight: 4, arbitrary: fc.constantFrom(...TINY) },
  { weight: 2, arbitrary: fc.constantFrom(...LATIN) },
  { weight: 2, arbitrary: fc.constantFrom(...SEP) },
);
const text = fc.array(token, { maxLength: 12 }).map((t) => t.join(''));

const messageArb = fc.record({
  group: fc.constantFrom('g1', 'g2', 'g3'),
  text,
  sender: fc.constantFrom('alice', 'bob'),
  timestamp: fc.integer({ min: 0, max: 50 }),
  fileName: fc.option(text, { nil: undefined }),
});

/** The specification, by brute force. */
function naiveMatches(m: StoredMessage, query: string): boolean {
  if (query.trim() === '') return true; // an empty query lists everything (filters only)
  const q = parseQuery(query);
  if (q.cjk.length === 0 && q.words.length === 0) return false;
  const norm = normalize(searchableText(m));
  const words = segment(norm).words;
  return q.cjk.every((p) => norm.includes(p.text)) && q.words.every((w) => words.some((x) => x.startsWith(w)));
}

const scenario = fc.record({
  messages: fc.array(messageArb, { minLength: 1, maxLength: 40 }),
  split: fc.nat(),
  checkpointBetween: fc.boolean(),
  recalls: fc.array(fc.nat(), { maxLength: 6 }),
  compact: fc.boolean(),
  reopen: fc.boolean(),
  queries: fc.array(
    fc.oneof(
      text,
      // Short runs over a 3-character alphabet: bigrams present apart but not in sequence.
      fc.array(fc.constantFrom(...TINY), { minLength: 2, maxLength: 4 }).map((t) => t.join('')),
      // A slice of some message's text: usually a hit.
      fc.tuple(fc.nat(), fc.nat(), fc.nat()).map(([i, a, b]) => ({ slice: [i, a, b] as const })),
    ),
    { minLength: 1, maxLength: 8 },
  ),
  group: fc.option(fc.constantFrom('g1', 'g2'), { nil: undefined }),
  mergeDeltaAt: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
});

describe('search equals a naive scan', () => {
  it('for random corpora, index states and queries', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const messages: StoredMessage[] = s.messages.map((m, i) => ({
          groupId: m.group,
          messageId: `id${i}`,
          sender: m.sender,
          seq: i + 1,
          timestamp: m.timestamp,
          type: m.fileName === undefined ? 'text' : 'file',
          text: m.text,
          mentions: [],
          mentionAll: false,
          ...(m.fileName === undefined ? {} : { attachment: { name: m.fileName } }),
        }));
        const backing = createMemoryBacking();
        // A small mergeDeltaAt folds the delta into the base between the two adds (and after).
        const options = s.mergeDeltaAt === undefined ? {} : { mergeDeltaAt: s.mergeDeltaAt };
        let h = await openHistory(createMemoryStore(backing), options);
        const cut = s.split % (messages.length + 1);
        await h.add(messages.slice(0, cut));
        if (s.checkpointBetween) await h.checkpoint();
        await h.add(messages.slice(cut));
        const recalled = new Set<string>();
        for (const r of s.recalls) {
          const m = messages[r % messages.length]!;
          await h.recall(m.groupId, m.messageId);
          recalled.add(m.messageId);
        }
        if (s.compact) await h.compact();
        if (s.reopen) {
          await h.close();
          h = await openHistory(createMemoryStore(backing), options);
        }
        const live = messages.filter((m) => !recalled.has(m.messageId));
        for (const q of s.queries) {
          let query: string;
          if (typeof q === 'string') query = q;
          else {
            const source = messages[q.slice[0] % messages.length]!.text;
            const a = q.slice[1] % (source.length + 1);
            query = source.slice(a, a + 1 + (q.slice[2] % 4));
          }
          const expected = live
            .filter((m) => (s.group === undefined || m.groupId === s.group) && naiveMatches(m, query))
            .map((m) => m.messageId)
            .sort();
          const result = h.search({ text: query, limit: 500, ...(s.group ? { groupId: s.group } : {}) });
          expect(result.messages.map((m) => m.messageId).sort(), `query ${JSON.stringify(query)}`).toEqual(expected);
          expect(result.total).toBe(expected.length);
          for (let i = 1; i < result.messages.length; i++) {
            expect(result.messages[i - 1]!.timestamp).toBeGreaterThanOrEqual(result.messages[i]!.timestamp);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});

/** Appends a valid CRC, so the structural checks behind the checksum are what gets tested. */
function withCrc(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 4);
  out.set(body);
  new DataView(out.buffer).setUint32(body.length, crc32(body));
  return out;
}

function expectBounded(s: ReturnType<typeof decodeSnapshot>): void {
  if (!s) return;
  for (const p of [s.cjk.postings, s.words.postings]) for (const d of p) expect(d).toBeLessThan(s.docCount);
  for (let i = 1; i < s.cjk.keys.length; i++) expect(s.cjk.keys[i]!).toBeGreaterThan(s.cjk.keys[i - 1]!);
}

describe('decoders reject junk without throwing', () => {
  it('decodeSnapshot returns null or a bounded snapshot for any bytes, with or without a valid CRC', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expectBounded(decodeSnapshot(bytes));
        expectBounded(decodeSnapshot(withCrc(bytes)));
      }),
    );
  });

  it('a real snapshot round-trips, and single-byte damage never yields out-of-range IDs', () => {
    const cjk = new NumericTerms(emptyNumeric());
    const words = new StringTerms(emptyStrings());
    const texts = ['明天去医院', 'meeting 医生', 'go goal 花开了', '医院 ok'];
    texts.forEach((t, id) => {
      const terms = indexTerms(t);
      terms.cjk.forEach((k) => cjk.delta.add(k, id));
      terms.words.forEach((w) => words.delta.add(w, id));
    });
    const snap = { logName: 'history-1', records: 5, docCount: 4, cjk: cjk.merge((d) => d), words: words.merge((d) => d) };
    const bytes = encodeSnapshot(snap);
    const back = decodeSnapshot(bytes)!;
    expect(back.logName).toBe('history-1');
    expect(Array.from(back.cjk.keys)).toEqual(Array.from(snap.cjk.keys));
    expect(Array.from(back.cjk.postings)).toEqual(Array.from(snap.cjk.postings));
    expect(back.words.keys).toEqual(snap.words.keys);
    expect(Array.from(back.words.offsets)).toEqual(Array.from(snap.words.offsets));
    fc.assert(
      fc.property(fc.nat({ max: bytes.length - 5 }), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const damaged = bytes.slice();
        damaged[at]! ^= x;
        expect(decodeSnapshot(damaged)).toBeNull(); // the CRC catches it
        expectBounded(decodeSnapshot(withCrc(damaged.subarray(0, damaged.length - 4))));
      }),
    );
    expect(decodeSnapshot(bytes.subarray(0, bytes.length - 1))).toBeNull();
  });

  it('decodeRecord returns null for junk and for records that do not validate', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => void decodeRecord(bytes)));
    const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
    expect(decodeRecord(enc({ op: 'put', m: { groupId: 'g' } }))).toBeNull();
    expect(decodeRecord(enc({ op: 'del', g: '', i: 'x' }))).toBeNull();
    expect(decodeRecord(enc({ op: 'drop' }))).toBeNull();
    expect(decodeRecord(new Uint8Array([0xff, 0xfe]))).toBeNull();
    expect(decodeRecord(enc({ op: 'del', g: 'g', i: 'x' }))).toEqual({ op: 'del', g: 'g', i: 'x' });
  });
});
