// Local message history with keyword search, on any LocalStore.
//
// Store layout:
//   log  "history-<n>"        put/del records (codec.ts), appended as messages arrive
//   kv   "history/manifest"   {"log": "history-<n>"}: which log is current (changes on compaction)
//   kv   "history/index"      the index snapshot (snapshot.ts) covering a prefix of that log
//   kv   "history/blocked"    JSON array of blocked member IDs (their messages are hidden, not deleted)
//
// Open: read the log, load the snapshot if it matches the log, index only the records
// after it. Writes persist first (log append), then change memory, so a failed write
// changes nothing. Queries are synchronous over memory; they never touch the store.
import { STORE_CLOSED, STORE_CORRUPT, storeError } from '../store/errors';
import { createSerial } from '../store/serial';
import type { LocalStore } from '../store/types';
import { checkId, checkMessage, decodeRecord, encodePutRecords, encodeRecord, isMessageType, searchableText, type LogRecord } from './codec';
import {
  CHECKPOINT_EVERY_MESSAGES,
  COMPACT_GARBAGE_RATIO,
  DEFAULT_PAGE_SIZE,
  MAX_ADD_BATCH,
  MAX_PAGE_SIZE,
  MAX_QUERY_CHARS,
  MERGE_DELTA_MIN_MESSAGES,
  MERGE_DELTA_RATIO,
} from './limits';
import { emptyNumeric, emptyStrings, intersect, NumericTerms, StringTerms, union } from './postings';
import { decodeSnapshot, encodeSnapshot } from './snapshot';
import { bigramKey, indexTerms, isEmptyQuery, normalize, parseQuery, unigramKey } from './text';
import type { MessageFilter, Page, PageQuery, SearchQuery, SearchResult, StoredMessage } from './types';
import { decodeUtf8, encodeUtf8 } from './utf8';

export const MANIFEST_KEY = 'history/manifest';
export const INDEX_KEY = 'history/index';
export const BLOCKED_KEY = 'history/blocked';
const LOG_PREFIX = 'history-';

export interface HistoryOptions {
  /** Messages indexed since the last snapshot that trigger a new snapshot (default 20,000). */
  checkpointEvery?: number;
  /**
   * Fewest messages in the index's delta before it is merged into the compact base in
   * memory (the merge also waits until the delta is a quarter of the base). Default 512.
   * The chat client draws it from 512 to 767 for each history, so that many
   * clients in one process that grow in step (a bot service, a benchmark's simulated
   * members) do not all merge on the same message.
   */
  mergeDeltaAt?: number;
}

export interface AddResult {
  added: number;
  /** Already stored, recalled, or repeated within the batch: ignored (delivery is at-least-once). */
  duplicates: number;
}

export interface UnreadCounts {
  unread: number;
  /** Unread messages that @-mention `self` or @all. */
  mentions: number;
}

export interface HistoryStats {
  messages: number;
  recalled: number;
  logRecords: number;
  terms: number;
  /** Messages indexed since the last snapshot. */
  unsnapshotted: number;
  /** Messages whose index terms are in the delta lists (not yet merged into the compact base). */
  deltaMessages: number;
  /** Whether open() used a snapshot (false: the index was rebuilt from the log). */
  loadedSnapshot: boolean;
}

export interface History {
  /** Stores and indexes messages; duplicates (same group and message ID) are ignored. */
  add(messages: readonly StoredMessage[]): Promise<AddResult>;
  /**
   * Recalls a message: gone from pages, search and counts at once; its text leaves the
   * disk at the next compaction. A recall that arrives first blocks the message for good.
   * Returns whether a stored message was removed.
   */
  recall(groupId: string, messageId: string): Promise<boolean>;
  get(groupId: string, messageId: string): StoredMessage | undefined;
  /** Messages of one group by sequence, either direction. */
  page(groupId: string, query?: PageQuery): Page;
  /** Keyword search, newest first, with filters and cursor paging. */
  search(query: SearchQuery): SearchResult;
  /** The message with the highest sequence in a group. */
  latest(groupId: string): StoredMessage | undefined;
  /** Unread messages after `lastReadSeq` not sent by `self`, and those mentioning `self`. */
  unreadCounts(groupId: string, lastReadSeq: number, self: string): UnreadCounts;
  setBlocked(memberId: string, blocked: boolean): Promise<void>;
  isBlocked(memberId: string): boolean;
  /** Writes an index snapshot now (also done automatically, and by close). */
  checkpoint(): Promise<void>;
  /** Rewrites the log without recalled messages (their text leaves the current files). */
  compact(): Promise<void>;
  stats(): HistoryStats;
  /** Snapshots the index and closes the history (not the store). */
  close(): Promise<void>;
}

interface GroupIndex {
  seqs: number[];
  ids: number[];
  /** The last unread count; any change but an append at the end drops it. */
  unread?: UnreadCount;
}

/**
 * An unread count and how far it got (`counted` entries of the group's order): the next
 * call with the same arguments only counts the messages appended since. Recounting every
 * unread message of every chat for each message received is quadratic in a busy group.
 */
interface UnreadCount extends UnreadCounts {
  lastReadSeq: number;
  self: string;
  /** The blocked set it was counted with (setBlocked replaces the set). */
  blocked: Set<string>;
  counted: number;
}

const TOMBSTONE = -1;
const keyOf = (groupId: string, messageId: string) => `${groupId}\u0000${messageId}`;

/**
 * docId by group and message ID, or TOMBSTONE for a recall without (or before) its message.
 * One map per group, keyed by the message's own ID string: a single map keyed by a joined
 * "group, message" string kept a ~100-character string per message alive for good.
 */
class DocKeys {
  private readonly byGroup = new Map<string, Map<string, number>>();

  get(groupId: string, messageId: string): number | undefined {
    return this.byGroup.get(groupId)?.get(messageId);
  }

  set(groupId: string, messageId: string, id: number): void {
    let ids = this.byGroup.get(groupId);
    if (!ids) this.byGroup.set(groupId, (ids = new Map()));
    ids.set(messageId, id);
  }

  *entries(): IterableIterator<[groupId: string, messageId: string, id: number]> {
    for (const [groupId, ids] of this.byGroup) for (const [messageId, id] of ids) yield [groupId, messageId, id];
  }
}

/**
 * One string per distinct group or member ID, shared by every message that names it: each
 * decoded or checked message otherwise brings its own copies (two 64-character hex strings),
 * which a long history kept by the tens of thousands.
 */
class SharedIds {
  private readonly ids = new Map<string, string>();

  of(id: string): string {
    const known = this.ids.get(id);
    if (known !== undefined) return known;
    this.ids.set(id, id);
    return id;
  }
}

function upperBound(a: number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function lowerBound(a: number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function checkLimit(limit: unknown): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit)) throw new TypeError('"limit" expected an integer');
  if (limit < 1 || limit > MAX_PAGE_SIZE) throw new RangeError(`"limit" expected 1..${MAX_PAGE_SIZE}, got ${limit}`);
  return limit;
}

interface CompiledFilter {
  senders: Set<string> | null;
  types: Set<string> | null;
  since: number;
  until: number;
  includeBlocked: boolean;
}

function compileFilter(filter: MessageFilter | undefined): CompiledFilter {
  const f = filter ?? {};
  if (typeof f !== 'object') throw new TypeError('"filter" expected an object');
  if (f.senders !== undefined && !Array.isArray(f.senders)) throw new TypeError('"filter.senders" expected an array');
  if (f.types !== undefined && (!Array.isArray(f.types) || !f.types.every(isMessageType))) {
    throw new TypeError('"filter.types" expected an array of message types');
  }
  for (const k of ['since', 'until'] as const) {
    if (f[k] !== undefined && (typeof f[k] !== 'number' || !Number.isFinite(f[k]))) throw new TypeError(`"filter.${k}" expected a number`);
  }
  return {
    senders: f.senders ? new Set(f.senders.map((s, i) => checkId(`filter.senders[${i}]`, s))) : null,
    types: f.types ? new Set(f.types) : null,
    since: f.since ?? -Infinity,
    until: f.until ?? Infinity,
    includeBlocked: f.includeBlocked === true,
  };
}

function encodeCursor(timestamp: number, id: number): string {
  return `${timestamp.toString(36)}.${id.toString(36)}`;
}

function decodeCursor(cursor: unknown): { timestamp: number; id: number } {
  if (typeof cursor !== 'string') throw new TypeError('"cursor" expected string');
  const m = /^([0-9a-z]{1,11})\.([0-9a-z]{1,7})$/.exec(cursor);
  if (!m) throw new RangeError('"cursor" is not a cursor returned by search');
  return { timestamp: parseInt(m[1]!, 36), id: parseInt(m[2]!, 36) };
}

export async function openHistory(store: LocalStore, options: HistoryOptions = {}): Promise<History> {
  if (!store || typeof store.readLog !== 'function') throw new TypeError('"store" expected a LocalStore');
  const positive = (name: 'checkpointEvery' | 'mergeDeltaAt', fallback: number): number => {
    const n = options[name] ?? fallback;
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`"${name}" expected a positive integer`);
    return n;
  };
  const checkpointEvery = positive('checkpointEvery', CHECKPOINT_EVERY_MESSAGES);
  const mergeDeltaAt = positive('mergeDeltaAt', MERGE_DELTA_MIN_MESSAGES);

  // ---- state -----------------------------------------------------------------
  let docs: (StoredMessage | null)[] = [];
  let keys = new DocKeys();
  const sharedIds = new SharedIds();
  let groups = new Map<string, GroupIndex>();
  let cjk = new NumericTerms(emptyNumeric());
  let words = new StringTerms(emptyStrings());
  let logName = `${LOG_PREFIX}1`;
  let logRecords = 0;
  let unsnapshotted = 0;
  /** Messages indexed into the delta lists since the base was last rebuilt. */
  let deltaMessages = 0;
  let recalled = 0;
  let loadedSnapshot = false;
  /** The snapshot on disk may not describe this state (an interrupted compaction wrote one for its new log). */
  let snapshotStale = false;
  let blocked = new Set<string>();
  let closed = false;
  const serial = createSerial();

  function indexDoc(id: number, m: StoredMessage): void {
    const terms = indexTerms(searchableText(m));
    for (const k of terms.cjk) cjk.delta.add(k, id);
    for (const w of terms.words) words.delta.add(w, id);
  }

  function insertIntoGroup(id: number, m: StoredMessage): void {
    let g = groups.get(m.groupId);
    if (!g) groups.set(m.groupId, (g = { seqs: [], ids: [] }));
    const last = g.seqs.length - 1;
    if (last < 0 || g.seqs[last]! <= m.seq) {
      g.seqs.push(m.seq);
      g.ids.push(id);
    } else {
      const at = upperBound(g.seqs, m.seq);
      g.seqs.splice(at, 0, m.seq);
      g.ids.splice(at, 0, id);
      g.unread = undefined;
    }
  }

  function removeFromGroup(id: number, m: StoredMessage): void {
    const g = groups.get(m.groupId);
    if (!g) return;
    for (let i = lowerBound(g.seqs, m.seq); i < g.seqs.length && g.seqs[i] === m.seq; i++) {
      if (g.ids[i] === id) {
        g.seqs.splice(i, 1);
        g.ids.splice(i, 1);
        g.unread = undefined;
        return;
      }
    }
  }

  /** Applies one log record to memory; `index` says whether to tokenize a put. */
  function apply(record: LogRecord, index: boolean): void {
    if (record.op === 'put') {
      for (const m of record.m) {
        // The messages are the history's own (checked or decoded copies): sharing their IDs changes no caller's object.
        m.groupId = sharedIds.of(m.groupId);
        m.sender = sharedIds.of(m.sender);
        if (keys.get(m.groupId, m.messageId) !== undefined) continue; // never written by add(); tolerated on replay
        const id = docs.length;
        docs.push(m);
        keys.set(m.groupId, m.messageId, id);
        insertIntoGroup(id, m);
        if (index) {
          indexDoc(id, m);
          unsnapshotted++;
          deltaMessages++;
        }
      }
    } else {
      const id = keys.get(record.g, record.i);
      if (id !== undefined && id !== TOMBSTONE && docs[id]) {
        removeFromGroup(id, docs[id]!);
        docs[id] = null;
        recalled++;
      }
      if (id === undefined) keys.set(sharedIds.of(record.g), record.i, TOMBSTONE);
    }
  }

  // ---- open --------------------------------------------------------------------
  /** JSON from the store, or undefined when the bytes are not UTF-8 JSON. */
  function parseJson(bytes: Uint8Array): unknown {
    try {
      return JSON.parse(decodeUtf8(bytes) ?? '');
    } catch {
      return undefined;
    }
  }

  const manifestBytes = await store.get(MANIFEST_KEY);
  if (manifestBytes) {
    const parsed = parseJson(manifestBytes) as { log?: unknown } | null | undefined;
    if (!parsed || typeof parsed.log !== 'string' || !parsed.log.startsWith(LOG_PREFIX)) {
      throw storeError(STORE_CORRUPT, 'the history manifest does not decode', 'openHistory');
    }
    logName = parsed.log;
  }
  // Logs left by an interrupted compaction (written, never made current).
  for (const name of await store.logs()) if (name.startsWith(LOG_PREFIX) && name !== logName) await store.deleteLog(name);

  const rawRecords = await store.readLog(logName);
  logRecords = rawRecords.length;
  // null for a record that does not decode (only a bug or an edit can write one): skipped,
  // but kept in place so record positions still line up with the snapshot's count.
  const records: (LogRecord | null)[] = rawRecords.map(decodeRecord);

  const snapshotBytes = await store.get(INDEX_KEY).catch(() => undefined);
  const snapshot = snapshotBytes ? decodeSnapshot(snapshotBytes) : null;
  let covered = 0;
  if (snapshot && snapshot.logName === logName && snapshot.records <= records.length) {
    let puts = 0;
    for (let i = 0; i < snapshot.records; i++) {
      const r = records[i];
      if (r?.op === 'put') puts += r.m.length;
    }
    if (puts === snapshot.docCount) covered = snapshot.records;
  }
  // Replay: records the snapshot covers change documents only; later ones are indexed too.
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (r) apply(r, i >= covered);
  }
  if (covered > 0 && snapshot) {
    // Snapshot docIds are put ordinals, exactly as replay assigned them; what replay
    // tokenized (the records after the snapshot) becomes the delta over the loaded base.
    const replayedCjk = cjk.delta;
    const replayedWords = words.delta;
    cjk = new NumericTerms(snapshot.cjk);
    words = new StringTerms(snapshot.words);
    cjk.delta = replayedCjk;
    words.delta = replayedWords;
    loadedSnapshot = true;
  }

  const blockedBytes = await store.get(BLOCKED_KEY);
  if (blockedBytes) {
    const list = parseJson(blockedBytes);
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) {
      throw storeError(STORE_CORRUPT, 'the blocked list does not decode', 'openHistory');
    }
    blocked = new Set(list as string[]);
  }

  // ---- writes ------------------------------------------------------------------
  function guard(operation: string): void {
    if (closed) throw storeError(STORE_CLOSED, 'the history is closed', operation);
  }

  /** Drops recalled documents in a merge (they are skipped at query time anyway). */
  const liveOnly = (id: number) => (docs[id] ? id : -1);

  /**
   * Merges the delta into the compact base, in memory only: the base is one Int32Array of
   * postings with sorted keys, the smallest form for lookups (docs/BENCH.md, sessions 9 and
   * 10). Merging when the delta reaches a quarter of the base copies each posting a bounded
   * number of times, like a growing array.
   */
  function mergeDelta(): void {
    cjk = new NumericTerms(cjk.merge(liveOnly));
    words = new StringTerms(words.merge(liveOnly));
    deltaMessages = 0;
  }

  async function writeCheckpoint(): Promise<void> {
    // Merged first: if the write fails, memory gives the same answers and the checkpoint is retried.
    mergeDelta();
    await store.put(INDEX_KEY, encodeSnapshot({ logName, records: logRecords, docCount: docs.length, cjk: cjk.base, words: words.base }));
    unsnapshotted = 0;
    loadedSnapshot = true;
    snapshotStale = false;
  }

  async function writeCompaction(): Promise<void> {
    const newIds = new Int32Array(docs.length).fill(-1);
    const liveDocs: StoredMessage[] = [];
    docs.forEach((m, id) => {
      if (m) {
        newIds[id] = liveDocs.length;
        liveDocs.push(m);
      }
    });
    const tombstones: [string, string][] = [];
    for (const [g, i, id] of keys.entries()) if (id === TOMBSTONE || !docs[id]) tombstones.push([g, i]);
    const newRecords = [
      ...encodePutRecords(liveDocs),
      ...tombstones.map(([g, i]) => encodeRecord({ op: 'del', g, i })),
    ];
    const generation = Number(logName.slice(LOG_PREFIX.length)) || 1;
    const newLog = `${LOG_PREFIX}${generation + 1}`;
    const remap = (id: number) => newIds[id]!;
    const nextCjk = cjk.merge(remap);
    const nextWords = words.merge(remap);
    // Order matters for crash safety: new log, then its snapshot, then the manifest, then the old log goes.
    await store.rewriteLog(newLog, newRecords);
    snapshotStale = true; // from here until the manifest, the snapshot on disk may name the new log
    await store.put(INDEX_KEY, encodeSnapshot({ logName: newLog, records: newRecords.length, docCount: liveDocs.length, cjk: nextCjk, words: nextWords }));
    await store.put(MANIFEST_KEY, encodeUtf8(JSON.stringify({ log: newLog })));
    snapshotStale = false;
    const oldLog = logName;
    logName = newLog;
    docs = liveDocs;
    keys = new DocKeys();
    groups = new Map();
    liveDocs.forEach((m, id) => {
      keys.set(m.groupId, m.messageId, id);
      insertIntoGroup(id, m);
    });
    for (const [g, i] of tombstones) keys.set(g, i, TOMBSTONE);
    cjk = new NumericTerms(nextCjk);
    words = new StringTerms(nextWords);
    logRecords = newRecords.length;
    recalled = 0;
    unsnapshotted = 0;
    deltaMessages = 0;
    loadedSnapshot = true;
    // The new log is current from here; an old log that cannot be deleted now is deleted at the next open.
    await store.deleteLog(oldLog).catch(() => undefined);
  }

  /**
   * Automatic snapshot or compaction after a write. Their failure does not fail the write
   * (the messages are already in the log): the work is retried after the next write.
   */
  async function maintain(): Promise<void> {
    try {
      if (recalled > 0 && recalled >= COMPACT_GARBAGE_RATIO * docs.length) await writeCompaction();
      else if (unsnapshotted >= checkpointEvery) await writeCheckpoint();
      else if (deltaMessages >= Math.max(mergeDeltaAt, MERGE_DELTA_RATIO * (docs.length - deltaMessages))) mergeDelta();
    } catch {
      // A failed compaction leaves memory unchanged (it swaps state only after its writes); a
      // failed checkpoint leaves the index merged, with the same answers.
    }
  }

  // ---- queries -----------------------------------------------------------------
  function passes(m: StoredMessage, f: CompiledFilter): boolean {
    if (f.senders && !f.senders.has(m.sender)) return false;
    if (f.types && !f.types.has(m.type)) return false;
    if (m.timestamp < f.since || m.timestamp >= f.until) return false;
    if (!f.includeBlocked && blocked.has(m.sender)) return false;
    return true;
  }

  function candidates(text: string): { ids: Int32Array; verify: string[] } | 'none' {
    const q = parseQuery(text);
    if (isEmptyQuery(q)) return 'none';
    const lists: Int32Array[] = [];
    const verify: string[] = [];
    for (const piece of q.cjk) {
      const cps = piece.codePoints;
      if (cps.length === 1) {
        lists.push(cjk.lookup(unigramKey(cps[0]!)));
        continue;
      }
      const seen = new Set<number>();
      for (let i = 0; i + 1 < cps.length; i++) {
        const k = bigramKey(cps[i]!, cps[i + 1]!);
        if (!seen.has(k)) {
          seen.add(k);
          lists.push(cjk.lookup(k));
        }
      }
      if (cps.length > 2) verify.push(piece.text);
    }
    for (const w of q.words) lists.push(union(words.lookupPrefix(w), docs.length));
    lists.sort((a, b) => a.length - b.length);
    let ids = lists[0]!;
    for (let i = 1; i < lists.length && ids.length > 0; i++) ids = intersect(ids, lists[i]!);
    return { ids, verify };
  }

  const api: History = {
    async add(messages) {
      if (!Array.isArray(messages)) throw new TypeError('"messages" expected an array');
      if (messages.length > MAX_ADD_BATCH) throw new RangeError(`"messages" expected at most ${MAX_ADD_BATCH} entries`);
      const checked = messages.map((m, i) => checkMessage(m, `messages[${i}]`));
      return serial(async () => {
        guard('add');
        const fresh: StoredMessage[] = [];
        const inBatch = new Set<string>();
        for (const m of checked) {
          const key = keyOf(m.groupId, m.messageId);
          if (keys.get(m.groupId, m.messageId) !== undefined || inBatch.has(key)) continue;
          inBatch.add(key);
          fresh.push(m);
        }
        if (fresh.length > 0) {
          const records = encodePutRecords(fresh);
          await store.append(logName, records);
          logRecords += records.length;
          apply({ op: 'put', m: fresh }, true);
          await maintain();
        }
        return { added: fresh.length, duplicates: checked.length - fresh.length };
      });
    },

    async recall(groupId, messageId) {
      checkId('groupId', groupId);
      checkId('messageId', messageId);
      return serial(async () => {
        guard('recall');
        const id = keys.get(groupId, messageId);
        if (id === TOMBSTONE || (id !== undefined && !docs[id])) return false;
        await store.append(logName, [encodeRecord({ op: 'del', g: groupId, i: messageId })]);
        logRecords++;
        apply({ op: 'del', g: groupId, i: messageId }, false);
        await maintain();
        return id !== undefined;
      });
    },

    get(groupId, messageId) {
      guard('get');
      const id = keys.get(checkId('groupId', groupId), checkId('messageId', messageId));
      return id === undefined || id === TOMBSTONE ? undefined : (docs[id] ?? undefined);
    },

    page(groupId, query = {}) {
      guard('page');
      checkId('groupId', groupId);
      const limit = checkLimit(query.limit);
      const f = compileFilter(query.filter);
      if (query.before !== undefined && query.after !== undefined) throw new RangeError('"before" and "after" cannot both be given');
      for (const k of ['before', 'after'] as const) {
        if (query[k] !== undefined && (typeof query[k] !== 'number' || !Number.isFinite(query[k]))) throw new TypeError(`"${k}" expected a number`);
      }
      const g = groups.get(groupId);
      const out: StoredMessage[] = [];
      if (!g) return { messages: out, hasMore: false };
      let hasMore = false;
      if (query.after !== undefined) {
        for (let i = upperBound(g.seqs, query.after); i < g.ids.length; i++) {
          const m = docs[g.ids[i]!]!;
          if (!passes(m, f)) continue;
          if (out.length === limit) {
            hasMore = true;
            break;
          }
          out.push(m);
        }
        return { messages: out, hasMore };
      }
      const start = query.before !== undefined ? lowerBound(g.seqs, query.before) : g.seqs.length;
      for (let i = start - 1; i >= 0; i--) {
        const m = docs[g.ids[i]!]!;
        if (!passes(m, f)) continue;
        if (out.length === limit) {
          hasMore = true;
          break;
        }
        out.push(m);
      }
      return { messages: out.reverse(), hasMore };
    },

    search(query) {
      guard('search');
      if (!query || typeof query !== 'object') throw new TypeError('"query" expected an object');
      const text = query.text ?? '';
      if (typeof text !== 'string') throw new TypeError('"query.text" expected string');
      if (text.length > MAX_QUERY_CHARS) throw new RangeError(`"query.text" expected at most ${MAX_QUERY_CHARS} characters`);
      const groupId = query.groupId === undefined ? undefined : checkId('groupId', query.groupId);
      const limit = checkLimit(query.limit);
      const f = compileFilter(query.filter);
      const cursor = query.cursor === undefined ? null : decodeCursor(query.cursor);

      // Candidate docIds: null means every document (an empty query over all groups).
      let ids: Int32Array | null = null;
      let verify: string[] = [];
      if (text.trim() === '') {
        if (groupId !== undefined) ids = Int32Array.from(groups.get(groupId)?.ids ?? []).sort();
      } else {
        const c = candidates(text);
        if (c === 'none') return { messages: [], total: 0 };
        ids = c.ids;
        verify = c.verify;
      }
      const count = ids ? ids.length : docs.length;

      // One pass: filter, verify long CJK pieces, count, and keep the `limit` newest before the cursor
      // in a min-heap ordered by (timestamp, docId).
      const heap: number[] = [];
      const older = (a: number, b: number) => {
        const ta = docs[a]!.timestamp;
        const tb = docs[b]!.timestamp;
        return ta < tb || (ta === tb && a < b);
      };
      const siftUp = (i: number) => {
        while (i > 0) {
          const p = (i - 1) >> 1;
          if (!older(heap[i]!, heap[p]!)) break;
          [heap[i], heap[p]] = [heap[p]!, heap[i]!];
          i = p;
        }
      };
      const siftDown = (i: number) => {
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let s = i;
          if (l < heap.length && older(heap[l]!, heap[s]!)) s = l;
          if (r < heap.length && older(heap[r]!, heap[s]!)) s = r;
          if (s === i) return;
          [heap[i], heap[s]] = [heap[s]!, heap[i]!];
          i = s;
        }
      };
      let total = 0;
      let afterCursor = 0;
      for (let k = 0; k < count; k++) {
        const id = ids ? ids[k]! : k;
        const m = docs[id];
        if (!m) continue;
        if (groupId !== undefined && m.groupId !== groupId) continue;
        if (!passes(m, f)) continue;
        if (verify.length > 0) {
          const norm = normalize(searchableText(m));
          if (!verify.every((v) => norm.includes(v))) continue;
        }
        total++;
        if (cursor && !(m.timestamp < cursor.timestamp || (m.timestamp === cursor.timestamp && id < cursor.id))) continue;
        afterCursor++;
        if (heap.length < limit) {
          heap.push(id);
          siftUp(heap.length - 1);
        } else if (older(heap[0]!, id)) {
          heap[0] = id;
          siftDown(0);
        }
      }
      const picked = heap.sort((a, b) => (older(a, b) ? 1 : -1));
      const messages = picked.map((id) => docs[id]!);
      const last = picked[picked.length - 1];
      const result: SearchResult = { messages, total };
      if (afterCursor > picked.length && last !== undefined) result.nextCursor = encodeCursor(docs[last]!.timestamp, last);
      return result;
    },

    latest(groupId) {
      guard('latest');
      const g = groups.get(checkId('groupId', groupId));
      const id = g?.ids[g.ids.length - 1];
      return id === undefined ? undefined : (docs[id] ?? undefined);
    },

    unreadCounts(groupId, lastReadSeq, self) {
      guard('unreadCounts');
      checkId('groupId', groupId);
      checkId('self', self);
      if (typeof lastReadSeq !== 'number' || !Number.isFinite(lastReadSeq)) throw new TypeError('"lastReadSeq" expected a number');
      const g = groups.get(groupId);
      if (!g) return { unread: 0, mentions: 0 };
      let c = g.unread;
      if (!c || c.lastReadSeq !== lastReadSeq || c.self !== self || c.blocked !== blocked) {
        c = g.unread = { lastReadSeq, self, blocked, counted: upperBound(g.seqs, lastReadSeq), unread: 0, mentions: 0 };
      }
      for (; c.counted < g.seqs.length; c.counted++) {
        const m = docs[g.ids[c.counted]!]!;
        // An appended message may still be at or below lastReadSeq (read on another path first).
        if (g.seqs[c.counted]! <= lastReadSeq || m.sender === self || blocked.has(m.sender)) continue;
        c.unread++;
        if (m.mentionAll || m.mentions.includes(self)) c.mentions++;
      }
      return { unread: c.unread, mentions: c.mentions };
    },

    async setBlocked(memberId, isBlocked) {
      checkId('memberId', memberId);
      if (typeof isBlocked !== 'boolean') throw new TypeError('"blocked" expected boolean');
      return serial(async () => {
        guard('setBlocked');
        const next = new Set(blocked);
        if (isBlocked) next.add(memberId);
        else next.delete(memberId);
        await store.put(BLOCKED_KEY, encodeUtf8(JSON.stringify([...next].sort())));
        blocked = next;
      });
    },

    isBlocked(memberId) {
      return blocked.has(memberId);
    },

    checkpoint() {
      return serial(async () => {
        guard('checkpoint');
        if (unsnapshotted > 0 || !loadedSnapshot || snapshotStale) await writeCheckpoint();
      });
    },

    compact() {
      return serial(async () => {
        guard('compact');
        await writeCompaction();
      });
    },

    stats() {
      return {
        messages: docs.length - recalled,
        recalled,
        logRecords,
        terms: cjk.termCount() + words.termCount(),
        unsnapshotted,
        deltaMessages,
        loadedSnapshot,
      };
    },

    close() {
      return serial(async () => {
        if (closed) return;
        if (unsnapshotted > 0 || snapshotStale) await writeCheckpoint();
        closed = true;
      });
    },
  };
  return api;
}
