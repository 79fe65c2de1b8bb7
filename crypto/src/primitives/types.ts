// The one interface crypto/ uses for primitives. Every backend (noble, sodium, node)
// implements `RawBackend`; `createPrimitives` wraps a backend with argument checks and
// the shared verification policy (policy.ts), so all backends behave identically on
// every input, including the edge cases Wycheproof does not cover.

/** Fills and returns `length` cryptographically secure random bytes. Injected, never Math.random. */
export type RandomSource = (length: number) => Uint8Array;

export type BackendName = 'noble' | 'sodium' | 'node';

/**
 * What a backend must provide. Inputs are already checked for type and length by the
 * wrapper; a raw backend may assume well-formed arguments. It must not apply its own
 * policy beyond what the wrapper documents (the wrapper runs the policy first).
 */
export interface RawBackend {
  readonly name: BackendName;
  /** Ed25519 public key from a 32-byte seed (RFC 8032 private key). */
  ed25519PublicKey(seed: Uint8Array): Uint8Array;
  /** Deterministic RFC 8032 signature (64 bytes). */
  ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array;
  /** Cofactorless RFC 8032 verification; the policy has already rejected bad keys, R and S. */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  /** X25519 public key from a 32-byte private scalar (clamped per RFC 7748). */
  x25519PublicKey(privateKey: Uint8Array): Uint8Array;
  /** X25519(private, public); may return all zeros (the wrapper rejects that). */
  x25519(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
  /** XChaCha20-Poly1305 seal: returns ciphertext || 16-byte tag. */
  xchachaSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /** XChaCha20-Poly1305 open: returns plaintext, or null when the tag does not verify. */
  xchachaOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | null;
  /** ChaCha20-Poly1305 (RFC 8439, 12-byte nonce). Used only for Wycheproof coverage. */
  chachaSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  chachaOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | null;
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  hkdfSha256Extract(salt: Uint8Array, ikm: Uint8Array): Uint8Array;
  hkdfSha256Expand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  sha256(data: Uint8Array): Uint8Array;
  sha512(data: Uint8Array): Uint8Array;
}

/** The checked, policy-enforcing primitive set the protocol calls. */
export interface Primitives {
  readonly backend: BackendName;
  randomBytes(length: number): Uint8Array;
  ed25519PublicKey(seed: Uint8Array): Uint8Array;
  ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array;
  /** false for a bad signature or a key/R/S the shared policy rejects; never throws on bad bytes of the right length. */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  /** true when `publicKey` passes the policy (canonical, not small order). */
  ed25519IsAcceptablePublicKey(publicKey: Uint8Array): boolean;
  x25519PublicKey(privateKey: Uint8Array): Uint8Array;
  /** Throws E2eeError(ZERO_SHARED_SECRET) on an all-zero output. */
  x25519(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
  xchachaSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /** Throws E2eeError(AUTH_FAILED) when the tag does not verify. */
  xchachaOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array;
  chachaSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  chachaOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array;
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  hkdfSha256Extract(salt: Uint8Array, ikm: Uint8Array): Uint8Array;
  hkdfSha256Expand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  sha256(data: Uint8Array): Uint8Array;
  sha512(data: Uint8Array): Uint8Array;
}
