// Pure-JS backend on @noble/*: the mini program's backend (no WebAssembly, no node:crypto).
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { chacha20poly1305, xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { extract, expand } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import type { RawBackend } from './types';

function openOrNull(open: () => Uint8Array): Uint8Array | null {
  try {
    return open();
  } catch {
    return null;
  }
}

export const nobleBackend: RawBackend = {
  name: 'noble',
  ed25519PublicKey: (seed) => ed25519.getPublicKey(seed),
  ed25519Sign: (seed, message) => ed25519.sign(message, seed),
  // zip215: false = RFC 8032 strict decoding; the shared policy runs before this anyway.
  ed25519Verify: (publicKey, message, signature) => {
    try {
      return ed25519.verify(signature, message, publicKey, { zip215: false });
    } catch {
      return false;
    }
  },
  x25519PublicKey: (privateKey) => x25519.getPublicKey(privateKey),
  x25519: (privateKey, publicKey) => {
    try {
      return x25519.getSharedSecret(privateKey, publicKey);
    } catch {
      // noble throws on an all-zero result; report it as zeros so the wrapper decides uniformly.
      return new Uint8Array(32);
    }
  },
  xchachaSeal: (key, nonce, plaintext, aad) => xchacha20poly1305(key, nonce, aad).encrypt(plaintext),
  xchachaOpen: (key, nonce, sealed, aad) => openOrNull(() => xchacha20poly1305(key, nonce, aad).decrypt(sealed)),
  chachaSeal: (key, nonce, plaintext, aad) => chacha20poly1305(key, nonce, aad).encrypt(plaintext),
  chachaOpen: (key, nonce, sealed, aad) => openOrNull(() => chacha20poly1305(key, nonce, aad).decrypt(sealed)),
  hmacSha256: (key, data) => hmac(sha256, key, data),
  hkdfSha256Extract: (salt, ikm) => extract(sha256, ikm, salt),
  hkdfSha256Expand: (prk, info, length) => expand(sha256, prk, info, length),
  sha256: (data) => sha256(data),
  sha512: (data) => sha512(data),
};
