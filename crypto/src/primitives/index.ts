// createPrimitives: wraps a raw backend with argument checks and the shared
// verification policy, so every backend answers identically on every input.
import { assertBytes, assertInteger, isBytes } from '../bytes';
import { AUTH_FAILED, E2eeError, RANDOM_FAILED, ZERO_SHARED_SECRET } from '../errors';
import { ed25519PublicKeyVerdict, ed25519SignatureVerdict, isAllZero } from './policy';
import type { Primitives, RandomSource, RawBackend } from './types';

export type { BackendName, Primitives, RandomSource, RawBackend } from './types';

const TAG_LENGTH = 16;
/** HKDF-SHA256 can expand to at most 255 blocks of 32 bytes (RFC 5869). */
const HKDF_MAX_OUTPUT = 255 * 32;
/** Largest single request to the random source; bigger requests are caller bugs. */
const MAX_RANDOM_REQUEST = 1 << 20;

export function createPrimitives(backend: RawBackend, random: RandomSource): Primitives {
  if (typeof random !== 'function') throw new TypeError('"random" expected a function returning random bytes');

  return {
    backend: backend.name,

    randomBytes(length) {
      assertInteger('length', length, 0, MAX_RANDOM_REQUEST);
      const out = random(length);
      if (!isBytes(out) || out.length !== length) {
        throw new E2eeError(RANDOM_FAILED, 'random source returned the wrong type or length', 'randomBytes');
      }
      return out;
    },

    ed25519PublicKey(seed) {
      return backend.ed25519PublicKey(assertBytes('seed', seed, 32));
    },
    ed25519Sign(seed, message) {
      return backend.ed25519Sign(assertBytes('seed', seed, 32), assertBytes('message', message));
    },
    ed25519Verify(publicKey, message, signature) {
      assertBytes('publicKey', publicKey, 32);
      assertBytes('message', message);
      assertBytes('signature', signature, 64);
      // Byte checks on R and S first (cheap), then the cached per-key verdict, then the backend.
      if (ed25519SignatureVerdict(signature) !== 'ok') return false;
      if (ed25519PublicKeyVerdict(publicKey) !== 'ok') return false;
      return backend.ed25519Verify(publicKey, message, signature);
    },
    ed25519IsAcceptablePublicKey(publicKey) {
      assertBytes('publicKey', publicKey, 32);
      return ed25519PublicKeyVerdict(publicKey) === 'ok';
    },

    x25519PublicKey(privateKey) {
      return backend.x25519PublicKey(assertBytes('privateKey', privateKey, 32));
    },
    x25519(privateKey, publicKey) {
      assertBytes('privateKey', privateKey, 32);
      assertBytes('publicKey', publicKey, 32);
      const shared = backend.x25519(privateKey, publicKey);
      if (isAllZero(shared)) {
        throw new E2eeError(ZERO_SHARED_SECRET, 'X25519 produced the all-zero shared secret', 'x25519');
      }
      return shared;
    },

    xchachaSeal(key, nonce, plaintext, aad) {
      assertBytes('key', key, 32);
      assertBytes('nonce', nonce, 24);
      return backend.xchachaSeal(key, nonce, assertBytes('plaintext', plaintext), assertBytes('aad', aad));
    },
    xchachaOpen(key, nonce, sealed, aad) {
      assertBytes('key', key, 32);
      assertBytes('nonce', nonce, 24);
      assertBytes('sealed', sealed);
      assertBytes('aad', aad);
      const opened = sealed.length < TAG_LENGTH ? null : backend.xchachaOpen(key, nonce, sealed, aad);
      if (opened === null) throw new E2eeError(AUTH_FAILED, 'invalid tag', 'xchachaOpen');
      return opened;
    },
    chachaSeal(key, nonce, plaintext, aad) {
      assertBytes('key', key, 32);
      assertBytes('nonce', nonce, 12);
      return backend.chachaSeal(key, nonce, assertBytes('plaintext', plaintext), assertBytes('aad', aad));
    },
    chachaOpen(key, nonce, sealed, aad) {
      assertBytes('key', key, 32);
      assertBytes('nonce', nonce, 12);
      assertBytes('sealed', sealed);
      assertBytes('aad', aad);
      const opened = sealed.length < TAG_LENGTH ? null : backend.chachaOpen(key, nonce, sealed, aad);
      if (opened === null) throw new E2eeError(AUTH_FAILED, 'invalid tag', 'chachaOpen');
      return opened;
    },

    hmacSha256(key, data) {
      return backend.hmacSha256(assertBytes('key', key), assertBytes('data', data));
    },
    hkdfSha256Extract(salt, ikm) {
      return backend.hkdfSha256Extract(assertBytes('salt', salt), assertBytes('ikm', ikm));
    },
    hkdfSha256Expand(prk, info, length) {
      assertBytes('prk', prk);
      if (prk.length < 32) throw new RangeError(`"prk" expected at least 32 bytes, got length=${prk.length}`);
      assertBytes('info', info);
      assertInteger('length', length, 0, HKDF_MAX_OUTPUT);
      return backend.hkdfSha256Expand(prk, info, length);
    },
    sha256(data) {
      return backend.sha256(assertBytes('data', data));
    },
    sha512(data) {
      return backend.sha512(assertBytes('data', data));
    },
  };
}
