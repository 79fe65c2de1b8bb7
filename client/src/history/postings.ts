// The inverted index: term -> sorted document IDs (a docId is the ordinal of a message
// among all messages of the history log's put records).
//
// Two tiers, like a tiny LSM tree:
//   base   immutable, loaded from the last snapshot: sorted keys, offsets, one Int32Array
//          of postings (compact: no per-term objects, so 100k messages load in tens of ms)
//   delta  the postings of messages indexed since, in typed arrays (Delta below); every
//          delta docId is larger than every base docId, so base slice ++ delta list is sorted.
// A checkpoint merges both into a new base (dropping recalled documents) and writes it
// as a snapshot (snapshot.ts).

export interface BaseNumeric {
  keys: Float64Array;
  offsets: Uint32Array;
  postings: Int32Array;
}

export interface BaseStrings {
  keys: string[];
  offsets: Uint32Array;
  postings: Int32Array;
}

const EMPTY = new Int32Array(0);

export function emptyNumeric(): BaseNumeric {
  return { keys: new Float64Array(0), offsets: new Uint32Array(1), postings: EMPTY };
}

export function emptyStrings(): BaseStrings {
  return { keys: [], offsets: new Uint32Array(1), postings: EMPTY };
}

function lowerBound<T>(keys: ArrayLike<T>, key: T): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The delta tier. Each (key, doc) pair takes two Int32 entries, the doc and the index of the
 * key's previous pair, so a key's docs are a chain from its last pair backwards; a Map numbers
 * each key once (its slot) and `last` holds each slot's last pair. A Map<key, number[]> did
 * this before: one growing array per key, ~650 bytes of heap per message that every garbage
 * collection copied or marked until the next merge, for 50 members at once in the
 * send-latency bench (docs/BENCH.md, session 10).
 */
export class Delta<K> {
  /** Every key, in first-seen order. */
  readonly keys: K[] = [];
  /** Key -> its slot (first-seen order); slot -> index of the key's last pair. */
  private readonly slots = new Map<K, number>();
  private last = new Int32Array(64);
  /** Per pair: the doc, then the index of the same key's previous pair (-1: none). */
  private pairs = new Int32Array(256);
  /** Pairs added. */
  size = 0;

  add(key: K, doc: number): void {
    let s = this.slots.get(key);
    if (s === undefined) {
      this.slots.set(key, (s = this.keys.push(key) - 1));
      if (s === this.last.length) this.last = grown(this.last);
      this.last[s] = -1;
    }
    const p = this.size++;
    if (2 * p + 2 > this.pairs.length) this.pairs = grown(this.pairs);
    const { pairs, last } = this;
    pairs[2 * p] = doc;
    pairs[2 * p + 1] = last[s]!;
    last[s] = p;
  }

  /** `before` (a base slice) followed by the key's delta docs, ascending; `before` itself when it has none. */
  list(key: K, before: Int32Array = EMPTY): Int32Array {
    const s = this.slots.get(key);
    if (s === undefined) return before;
    const { pairs } = this;
    const last = this.last[s]!;
    let count = 0;
    for (let p = last; p >= 0; p = pairs[2 * p + 1]!) count++;
    const out = new Int32Array(before.length + count);
    out.set(before);
    for (let p = last, i = out.length; p >= 0; p = pairs[2 * p + 1]!) out[--i] = pairs[2 * p]!;
    return out;
  }
}

function grown(a: Int32Array) {
  const b = new Int32Array(2 * a.length);
  b.set(a);
  return b;
}

/** Base and delta of one index (numeric or string keys): what both kinds share. */
class Terms<K extends number | string, B extends { readonly keys: ArrayLike<K> }> {
  delta = new Delta<K>();
  constructor(public base: B) {}

  termCount(): number {
    return this.base.keys.length + this.delta.keys.length;
  }
}

export class NumericTerms extends Terms<number, BaseNumeric> {
  lookup(key: number): Int32Array {
    const { keys, offsets, postings } = this.base;
    const i = lowerBound(keys, key);
    const slice = i < keys.length && keys[i] === key ? postings.subarray(offsets[i]!, offsets[i + 1]!) : EMPTY;
    return this.delta.list(key, slice);
  }

  /** Merges base and delta; `remap` gives a document's new ID, or -1 to drop it. */
  merge(remap: (doc: number) => number): BaseNumeric {
    const deltaKeys = Float64Array.from(this.delta.keys).sort();
    const merged = mergeSorted(this.base, Array.from(deltaKeys), this.delta, remap);
    return { ...merged, keys: Float64Array.from(merged.keys) };
  }
}

export class StringTerms extends Terms<string, BaseStrings> {
  /** Posting lists of every term that starts with `prefix`. */
  lookupPrefix(prefix: string): Int32Array[] {
    const out: Int32Array[] = [];
    const { keys, offsets, postings } = this.base;
    for (let i = lowerBound(keys, prefix); i < keys.length && keys[i]!.startsWith(prefix); i++) {
      const key = keys[i]!;
      out.push(this.delta.list(key, postings.subarray(offsets[i]!, offsets[i + 1]!)));
    }
    for (const key of this.delta.keys) {
      if (!key.startsWith(prefix)) continue;
      const i = lowerBound(keys, key);
      if (i < keys.length && keys[i] === key) continue; // already joined with its base slice
      out.push(this.delta.list(key));
    }
    return out;
  }

  merge(remap: (doc: number) => number): BaseStrings {
    return mergeSorted(this.base, [...this.delta.keys].sort(), this.delta, remap);
  }
}

/** Intersection of two sorted ID lists (galloping when one is much shorter). */
export function intersect(a: Int32Array, b: Int32Array): Int32Array {
  if (a.length > b.length) [a, b] = [b, a];
  const out = new Int32Array(a.length);
  let n = 0;
  if (a.length * 16 < b.length) {
    let lo = 0;
    for (let i = 0; i < a.length; i++) {
      const x = a[i]!;
      let hi = b.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (b[mid]! < x) lo = mid + 1;
        else hi = mid;
      }
      if (lo < b.length && b[lo] === x) out[n++] = x;
    }
  } else {
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
      const x = a[i]!;
      const y = b[j]!;
      if (x === y) {
        out[n++] = x;
        i++;
        j++;
      } else if (x < y) i++;
      else j++;
    }
  }
  return out.subarray(0, n);
}

/** Union of sorted ID lists over documents 0..docCount-1. */
export function union(lists: Int32Array[], docCount: number): Int32Array {
  if (lists.length === 0) return EMPTY;
  if (lists.length === 1) return lists[0]!;
  const mark = new Uint8Array(docCount);
  let count = 0;
  for (const l of lists) {
    for (let i = 0; i < l.length; i++) {
      const d = l[i]!;
      if (!mark[d]) {
        mark[d] = 1;
        count++;
      }
    }
  }
  const out = new Int32Array(count);
  let n = 0;
  for (let d = 0; d < docCount && n < count; d++) if (mark[d]) out[n++] = d;
  return out;
}

/**
 * Merges a base (sorted keys, offsets, postings) with sorted delta keys and their lists, in
 * key order; `remap` gives a document's new ID, or -1 to drop it. Keys left with no
 * postings are dropped. Shared by the numeric and the string index.
 */
function mergeSorted<K extends number | string>(
  base: { readonly keys: ArrayLike<K>; readonly offsets: Uint32Array; readonly postings: Int32Array },
  deltaKeys: readonly K[],
  delta: Delta<K>,
  remap: (doc: number) => number,
): { keys: K[]; offsets: Uint32Array; postings: Int32Array } {
  const { keys: bk, offsets: bo, postings: bp } = base;
  const keys: K[] = [];
  const offsets: number[] = [0];
  const postings = new Int32Array(bp.length + delta.size);
  let n = 0;
  let i = 0;
  let j = 0;
  while (i < bk.length || j < deltaKeys.length) {
    const a = i < bk.length ? bk[i]! : null;
    const b = j < deltaKeys.length ? deltaKeys[j]! : null;
    const key = a === null ? b! : b === null ? a : a <= b ? a : b;
    const start = n;
    if (a === key) {
      for (let p = bo[i]!; p < bo[i + 1]!; p++) {
        const d = remap(bp[p]!);
        if (d >= 0) postings[n++] = d;
      }
      i++;
    }
    if (b === key) {
      for (const doc of delta.list(key)) {
        const d = remap(doc);
        if (d >= 0) postings[n++] = d;
      }
      j++;
    }
    if (n > start) {
      keys.push(key);
      offsets.push(n);
    }
  }
  return { keys, offsets: Uint32Array.from(offsets), postings: postings.slice(0, n) };
}
