// The prepared-key caches of the node and sodium backends: correct results when the
// caller reuses, replaces or overwrites key arrays, and bounded public-key caches.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, wipe } from '../../src/bytes';
import { LruCache, bytesKey } from '../../src/primitives/lru-cache';
import { SecretKeyCache } from '../../src/primitives/secret-key-cache';
import { loadAll } from './backends';

const backends = await loadAll();
const noble = backends.find((b) => b.raw.name === 'noble')!.p;

describe('secret-key caches (WeakMap keyed by the seed array)', () => {
  for (const { p } of backends) {
    it(`${p.backend}: overwriting a seed in place gives the new key's signature and public key`, () => {
      const seed = new Uint8Array(32).fill(1);
      const msg = new Uint8Array([1, 2, 3]);
      const first = p.ed25519Sign(seed, msg);
      expect(bytesToHex(p.ed25519PublicKey(seed))).toBe(bytesToHex(noble.ed25519PublicKey(new Uint8Array(32).fill(1))));
      seed.fill(2);
      const second = p.ed25519Sign(seed, msg);
      expect(bytesToHex(second)).not.toBe(bytesToHex(first));
      expect(bytesToHex(second)).toBe(bytesToHex(noble.ed25519Sign(new Uint8Array(32).fill(2), msg)));
      expect(bytesToHex(p.ed25519PublicKey(seed))).toBe(bytesToHex(noble.ed25519PublicKey(new Uint8Array(32).fill(2))));
      wipe(seed);
      expect(bytesToHex(p.ed25519PublicKey(seed))).toBe(bytesToHex(noble.ed25519PublicKey(new Uint8Array(32))));
    });

    it(`${p.backend}: overwriting an X25519 private key in place gives the new shared secret`, () => {
      const mine = new Uint8Array(32).fill(3);
      const peer = noble.x25519PublicKey(new Uint8Array(32).fill(4));
      const first = p.x25519(mine, peer);
      mine.fill(5);
      expect(bytesToHex(p.x25519(mine, peer))).toBe(bytesToHex(noble.x25519(new Uint8Array(32).fill(5), peer)));
      expect(bytesToHex(p.x25519(mine, peer))).not.toBe(bytesToHex(first));
    });

    it(`${p.backend}: a returned public key is a copy (mutating it does not poison the cache)`, () => {
      const seed = new Uint8Array(32).fill(9);
      const pk = p.ed25519PublicKey(seed);
      const hex = bytesToHex(pk);
      pk.fill(0);
      expect(bytesToHex(p.ed25519PublicKey(seed))).toBe(hex);
    });
  }

  it('SecretKeyCache prepares once per array and again after the bytes change', () => {
    const cache = new SecretKeyCache<string>();
    let prepared = 0;
    const prepare = (s: Uint8Array) => {
      prepared++;
      return bytesToHex(s);
    };
    const a = new Uint8Array(32).fill(1);
    expect(cache.get(a, prepare)).toBe(bytesToHex(a));
    expect(cache.get(a, prepare)).toBe(bytesToHex(a));
    expect(prepared).toBe(1);
    const sameBytesOtherArray = a.slice();
    cache.get(sameBytesOtherArray, prepare);
    expect(prepared).toBe(2); // keyed by object, not by value
    a[0] = 7;
    expect(cache.get(a, prepare)).toBe(bytesToHex(a));
    expect(prepared).toBe(3);
  });
});

describe('LruCache (public data only)', () => {
  it('keeps at most max entries and evicts the least recently used', () => {
    const lru = new LruCache<number>(3);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.set('c', 3);
    expect(lru.get('a')).toBe(1); // a is now most recent
    lru.set('d', 4); // evicts b
    expect(lru.size).toBe(3);
    expect(lru.get('b')).toBeUndefined();
    expect([lru.get('a'), lru.get('c'), lru.get('d')]).toEqual([1, 3, 4]);
    expect(() => new LruCache(0)).toThrow(RangeError);
  });

  it('never exceeds its bound under random use, and bytesKey is injective on 32-byte keys', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.boolean()), { maxLength: 300 }), (ops) => {
        const lru = new LruCache<number>(8);
        for (const [k, isSet] of ops) {
          if (isSet) lru.set(String(k), k);
          else {
            const v = lru.get(String(k));
            if (v !== undefined) expect(v).toBe(k);
          }
          expect(lru.size).toBeLessThanOrEqual(8);
        }
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (a, b) => {
        expect(bytesKey(a) === bytesKey(b)).toBe(bytesToHex(a) === bytesToHex(b));
      }),
      { numRuns: 500 },
    );
  });
});
