// A small bounded map with least-recently-used eviction, for PUBLIC data only
// (public keys, their policy verdicts, prepared public KeyObjects). Never put a
// secret in here: entries are keyed by value and live until evicted.

export class LruCache<V> {
  // TypeScript-private rather than #private: ES2017 has no #fields, and their downlevel
  // form (a WeakMap per field plus helpers) costs the mini program bundle ~0.5 KB.
  private readonly max: number;
  private readonly map = new Map<string, V>();

  constructor(max: number) {
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`"max" expected a positive integer, got ${max}`);
    this.max = max;
  }

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      // Re-insert to mark as most recently used (Map keeps insertion order).
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
  }

  clear(): void {
    this.map.clear();
  }
}

/** A compact Map key for a short public byte string (one char per byte). */
export function bytesKey(bytes: Uint8Array): string {
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}
