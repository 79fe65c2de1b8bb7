// One error class for every protocol failure, with a stable machine-readable code.
//
// Caller bugs (wrong argument type or size) are TypeError / RangeError instead.
// Messages never contain plaintext, keys, or PII: only what a log may show.

const CODE_PATTERN = /^E2E_ERR_[A-Z0-9_]+$/;

export class E2eeError extends Error {
  /** Stable code, e.g. `E2E_ERR_AUTH_FAILED`. Listed in docs/ERRORS.md. */
  readonly code: string;
  /** The operation that failed, e.g. `decryptGroupMessage`. */
  readonly operation: string | undefined;

  constructor(code: string, message: string, operation?: string) {
    if (!CODE_PATTERN.test(code)) throw new TypeError(`"code" must match ${CODE_PATTERN}, got ${code}`);
    super(message);
    this.name = 'E2eeError';
    this.code = code;
    this.operation = operation;
  }
}

export function isE2eeError(value: unknown, code?: string): value is E2eeError {
  return value instanceof E2eeError && (code === undefined || value.code === code);
}

/** AEAD or MAC failure. Deliberately says nothing else: no oracle on why it failed. */
export const AUTH_FAILED = 'E2E_ERR_AUTH_FAILED';
/** A signature did not verify, or a key/signature was rejected by the verification policy. */
export const BAD_SIGNATURE = 'E2E_ERR_BAD_SIGNATURE';
/** A public key is malformed, small-order or non-canonical. */
export const BAD_PUBLIC_KEY = 'E2E_ERR_BAD_PUBLIC_KEY';
/** An X25519 exchange produced the all-zero shared secret (peer key of small order). */
export const ZERO_SHARED_SECRET = 'E2E_ERR_ZERO_SHARED_SECRET';
/** A byte string does not decode as the structure it claims to be. */
export const MALFORMED = 'E2E_ERR_MALFORMED';
/** The random source failed or returned the wrong length. */
export const RANDOM_FAILED = 'E2E_ERR_RANDOM_FAILED';
/** A requested backend is not available on this platform. */
export const BACKEND_UNAVAILABLE = 'E2E_ERR_BACKEND_UNAVAILABLE';
