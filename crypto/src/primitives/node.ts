// The Node default backend, built for speed: node:crypto (OpenSSL) for Ed25519, X25519,
// HMAC/HKDF-SHA256, SHA-256/512 and ChaCha20-Poly1305; libsodium for XChaCha20-Poly1305,
// which OpenSSL lacks (libsodium seals 1 KiB ~4.5x faster than noble here; see docs/PRIMITIVES.md).
//
// OpenSSL is fastest once a key is a prepared KeyObject, and slow to prepare one from DER
// (~0.5 ms for a private key). So:
//   - public keys (not secret) are imported through JWK (~20 us) and kept in bounded LRU
//     maps keyed by value;
//   - secret keys are prepared once per caller array and kept in a WeakMap keyed by that
//     array (secret-key-cache.ts), never in a map keyed by the secret's value;
//   - one-shot X25519 keys (envelope ephemerals) go to libsodium, which needs no
//     preparation: X25519 public keys always, and a shared secret for a private-key array
//     not seen before. A private key used a second time (a prekey) is prepared for OpenSSL.
// Ed25519 verification goes to libsodium's native build (sodium-native) when its prebuilt
// addon loads: about 45 us a signature here against OpenSSL's 76 us, and verification is
// the largest single cost of receiving a group message. Without it, OpenSSL verifies.
// Only Node entry points import this file (select.ts loads it dynamically).
import { createRequire } from 'node:module';
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from 'node:crypto';
import { wipe } from '../bytes';
import { LruCache, bytesKey } from './lru-cache';
import { SecretKeyCache } from './secret-key-cache';
import { loadSodium, loadSodiumDirect } from './sodium';
import type { RawBackend } from './types';

/** DER prefixes of PKCS#8 private keys for the two curves (RFC 8410); secrets go in by DER so we can wipe the buffer. */
const ED25519_PKCS8 = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20);
const X25519_PKCS8 = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20);

/** How many prepared public keys each LRU keeps (a 500-member group fits many times over). */
export const PUBLIC_KEY_CACHE_SIZE = 4096;

function withPrefix(prefix: Uint8Array, key: Uint8Array): Uint8Array {
  const der = new Uint8Array(prefix.length + key.length);
  der.set(prefix);
  der.set(key, prefix.length);
  return der;
}

function privateKeyObject(prefix: Uint8Array, secret: Uint8Array): KeyObject {
  const der = withPrefix(prefix, secret);
  try {
    return createPrivateKey({ key: Buffer.from(der.buffer, der.byteOffset, der.length), format: 'der', type: 'pkcs8' });
  } finally {
    wipe(der);
  }
}

/** A public KeyObject via JWK: several times faster than SPKI DER in OpenSSL 3. */
function publicKeyObject(crv: 'Ed25519' | 'X25519', key: Uint8Array): KeyObject {
  const x = Buffer.from(key.buffer, key.byteOffset, key.length).toString('base64url');
  return createPublicKey({ key: { kty: 'OKP', crv, x }, format: 'jwk' });
}

/** The raw 32-byte public key of a KeyObject (JWK export is the cheapest way out of OpenSSL). */
function rawPublicKey(key: KeyObject): Uint8Array {
  const { x } = key.export({ format: 'jwk' });
  if (typeof x !== 'string') throw new Error('node:crypto exported a public key without "x"');
  return plain(Buffer.from(x, 'base64url'));
}

/** A copy as a plain Uint8Array (not a Buffer, which may share a pooled ArrayBuffer). */
function plain(buf: Uint8Array): Uint8Array {
  return new Uint8Array(buf);
}

function openOrNull(open: () => Uint8Array): Uint8Array | null {
  try {
    return open();
  } catch {
    return null;
  }
}

/**
 * Below this many input bytes, HMAC and HKDF go to libsodium's WebAssembly: one OpenSSL HMAC
 * costs ~3.7 us of call overhead (a new HMAC context per call) against ~2.8 us in libsodium, and
 * a two-block HKDF-Expand 9.4 us against 4.4 us. The protocol's KDF calls are all small (per
 * message: two expands), so this is the hot path of group-decrypt. Large inputs stay in OpenSSL.
 */
const SMALL_MAC_INPUT_BYTES = 4096;

/** The one function this backend takes from sodium-native (libsodium's C build). */
interface NativeVerifier {
  crypto_sign_verify_detached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
}

/**
 * libsodium's native Ed25519 verify, or null when the addon is missing or has no prebuild
 * for this platform (then OpenSSL verifies). A self-check on RFC 8032 test 1 guards
 * against a build that loads but answers wrongly.
 */
export function loadNativeVerifier(): NativeVerifier | null {
  try {
    const native = createRequire(import.meta.url)('sodium-native') as NativeVerifier;
    const ok = native.crypto_sign_verify_detached(RFC8032_TEST1.signature, new Uint8Array(0), RFC8032_TEST1.publicKey);
    const flipped = RFC8032_TEST1.signature.slice();
    flipped[0]! ^= 1;
    const bad = native.crypto_sign_verify_detached(flipped, new Uint8Array(0), RFC8032_TEST1.publicKey);
    return ok === true && bad === false ? native : null;
  } catch {
    return null;
  }
}

const fromHex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
/** RFC 8032 section 7.1, TEST 1 (empty message). */
const RFC8032_TEST1 = {
  publicKey: fromHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'),
  signature: fromHex('e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'),
};

export interface NodeBackendOptions {
  /**
   * Verify Ed25519 with libsodium's native build when it loads (default true). False keeps
   * OpenSSL: the tests use it to pin what raw OpenSSL accepts (docs/PRIMITIVES.md).
   */
  nativeVerify?: boolean;
}

export async function loadNodeBackend(options: NodeBackendOptions = {}): Promise<RawBackend> {
  const sodium = await loadSodium();
  const native = options.nativeVerify === false ? null : loadNativeVerifier();
  const small = await loadSodiumDirect();
  /** libsodium's expand takes a 32-byte PRK; a longer caller-supplied PRK goes to OpenSSL. */
  const smallExpand = (prk: Uint8Array, info: Uint8Array, length: number): Uint8Array =>
    length === 0 ? new Uint8Array(0) : prk.length === 32 ? small.hkdfExpand(prk, info, length) : opensslExpand(prk, info, length);

  const edSecret = new SecretKeyCache<{ key: KeyObject; publicKey: Uint8Array | undefined }>();
  const prepareEd = (seed: Uint8Array) => ({ key: privateKeyObject(ED25519_PKCS8, seed), publicKey: undefined });
  const xSecret = new SecretKeyCache<KeyObject>();
  const prepareX = (privateKey: Uint8Array) => privateKeyObject(X25519_PKCS8, privateKey);
  /** X25519 private-key arrays used once (by object): the second use prepares a KeyObject. */
  const xSeen = new WeakSet<Uint8Array>();
  const edPublic = new LruCache<KeyObject | null>(PUBLIC_KEY_CACHE_SIZE);
  const xPublic = new LruCache<KeyObject | null>(PUBLIC_KEY_CACHE_SIZE);

  const sodiumVerify = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean => {
    try {
      return sodium.crypto_sign_verify_detached(signature, message, publicKey);
    } catch {
      return false;
    }
  };
  const sodiumDh = (privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array => {
    try {
      return sodium.crypto_scalarmult(privateKey, publicKey);
    } catch {
      return new Uint8Array(32); // libsodium refuses an all-zero result; the wrapper rejects zeros uniformly
    }
  };

  /** Prepared public KeyObject, or null when OpenSSL refuses the bytes (cached too). */
  // Front cache by array object (a receiver passes the same identity-key array for every
  // message of a sender): skips the string key and LRU reordering of `cachedPublic`.
  const edPublicByArray = new SecretKeyCache<KeyObject | null>();

  function cachedPublic(cache: LruCache<KeyObject | null>, crv: 'Ed25519' | 'X25519', key: Uint8Array): KeyObject | null {
    const id = bytesKey(key);
    let prepared = cache.get(id);
    if (prepared === undefined) {
      try {
        prepared = publicKeyObject(crv, key);
      } catch {
        prepared = null;
      }
      cache.set(id, prepared);
    }
    return prepared;
  }

  return {
    name: 'node',
    ed25519PublicKey: (seed) => {
      const entry = edSecret.get(seed, prepareEd);
      entry.publicKey ??= rawPublicKey(createPublicKey(entry.key));
      return entry.publicKey.slice();
    },
    ed25519Sign: (seed, message) => plain(nodeSign(null, message, edSecret.get(seed, prepareEd).key)),
    ed25519Verify: (publicKey, message, signature) => {
      if (native !== null) {
        try {
          return native.crypto_sign_verify_detached(signature, message, publicKey);
        } catch {
          return false;
        }
      }
      const key = edPublicByArray.get(publicKey, (k) => cachedPublic(edPublic, 'Ed25519', k));
      // Should OpenSSL ever refuse a key the policy accepted, libsodium (same cofactorless equation) answers.
      if (key === null) return sodiumVerify(publicKey, message, signature);
      try {
        return nodeVerify(null, message, key, signature);
      } catch {
        return sodiumVerify(publicKey, message, signature);
      }
    },
    x25519PublicKey: (privateKey) => sodium.crypto_scalarmult_base(privateKey),
    x25519: (privateKey, publicKey) => {
      let prepared = xSecret.peek(privateKey);
      if (prepared === undefined && !xSeen.has(privateKey)) {
        // First use of this array: likely a one-shot key; libsodium needs no preparation.
        xSeen.add(privateKey);
        return sodiumDh(privateKey, publicKey);
      }
      prepared ??= xSecret.get(privateKey, prepareX);
      const pub = cachedPublic(xPublic, 'X25519', publicKey);
      if (pub === null) return sodiumDh(privateKey, publicKey);
      try {
        return plain(diffieHellman({ privateKey: prepared, publicKey: pub }));
      } catch {
        // OpenSSL refuses an all-zero result (and nothing else we know of): let libsodium give
        // the same answer as the other backends (zeros, which the wrapper rejects).
        return sodiumDh(privateKey, publicKey);
      }
    },
    xchachaSeal: small.xchachaSeal,
    xchachaOpen: small.xchachaOpen,
    chachaSeal: (key, nonce, plaintext, aad) => {
      const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
      cipher.setAAD(aad, { plaintextLength: plaintext.length });
      const body = cipher.update(plaintext);
      const tail = cipher.final();
      const tag = cipher.getAuthTag();
      const out = new Uint8Array(body.length + tail.length + tag.length);
      out.set(body);
      out.set(tail, body.length);
      out.set(tag, body.length + tail.length);
      return out;
    },
    chachaOpen: (key, nonce, sealed, aad) =>
      openOrNull(() => {
        const split = sealed.length - 16;
        const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
        decipher.setAuthTag(sealed.subarray(split));
        decipher.setAAD(aad, { plaintextLength: split });
        const body = decipher.update(sealed.subarray(0, split));
        const tail = decipher.final(); // throws when the tag does not verify
        const out = new Uint8Array(body.length + tail.length);
        out.set(body);
        out.set(tail, body.length);
        wipe(body);
        return out;
      }),
    hmacSha256: (key, data) =>
      data.length < SMALL_MAC_INPUT_BYTES ? small.hkdfExtract(key, data) : plain(createHmac('sha256', key).update(data).digest()),
    hkdfSha256Extract: (salt, ikm) =>
      ikm.length < SMALL_MAC_INPUT_BYTES ? small.hkdfExtract(salt, ikm) : plain(createHmac('sha256', salt).update(ikm).digest()),
    hkdfSha256Expand: (prk, info, length) =>
      info.length < SMALL_MAC_INPUT_BYTES ? smallExpand(prk, info, length) : opensslExpand(prk, info, length),
    sha256: (data) => plain(createHash('sha256').update(data).digest()),
    sha512: (data) => plain(createHash('sha512').update(data).digest()),
  };
}

/** RFC 5869 section 2.3 in OpenSSL: T(i) = HMAC(PRK, T(i-1) || info || i), output = first `length` bytes. */
function opensslExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let previous: Uint8Array = new Uint8Array(0);
  for (let i = 1, offset = 0; offset < length; i++) {
    const block = createHmac('sha256', prk).update(previous).update(info).update(Uint8Array.of(i)).digest();
    out.set(block.subarray(0, Math.min(32, length - offset)), offset);
    offset += 32;
    wipe(previous);
    previous = block;
  }
  wipe(previous);
  return out;
}
