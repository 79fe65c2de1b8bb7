// Per-object cache for values prepared from a key: a node:crypto KeyObject, a libsodium
// 64-byte signing key, a public key's policy verdict. Secrets are never keys of a global map: the cache is a
// WeakMap keyed by the caller's Uint8Array object, so an entry lives exactly as long as
// the caller keeps that array. The identity state holds one seed array across calls,
// which is what makes this fast.
//
// The stored copy detects a caller who overwrites the array in place (for example with
// wipe()): the next call sees the mismatch, wipes the copy and prepares the key again.
import { equalBytes, wipe } from '../bytes';

interface Entry<V> {
  readonly copy: Uint8Array;
  readonly value: V;
}

export class SecretKeyCache<V> {
  // TypeScript-private rather than #private: see lru-cache.ts.
  private entries = new WeakMap<Uint8Array, Entry<V>>();

  /** The prepared value for `secret` if one is cached and `secret` still holds the same bytes. */
  peek(secret: Uint8Array): V | undefined {
    const hit = this.entries.get(secret);
    return hit !== undefined && equalBytes(hit.copy, secret) ? hit.value : undefined;
  }

  /** The prepared value for `secret`, computing it with `prepare` on a miss or after `secret` changed. */
  get(secret: Uint8Array, prepare: (secret: Uint8Array) => V): V {
    const hit = this.entries.get(secret);
    if (hit !== undefined) {
      if (equalBytes(hit.copy, secret)) return hit.value;
      wipe(hit.copy);
      this.entries.delete(secret);
    }
    const value = prepare(secret);
    this.entries.set(secret, { copy: secret.slice(), value });
    return value;
  }
}
