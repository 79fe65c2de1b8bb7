// Every signature label and KDF label of the protocol, in one place. Each is
// prefixed with "wxe2ee v1 " by crypto/src/kdf.ts. A label is used for exactly one
// purpose; docs/PROTOCOL.md lists them all with what they cover.

/** Signature labels: `signWithLabel(seed, SIG_*, data)`. */
export const SIG = {
  /** The relay's auth challenge, signed by a device to log in. */
  RELAY_AUTH: 'sig relay auth',
  // Membership log, identity and prekeys (crypto/src/log, crypto/src/identity): add below.
  // Messages (crypto/src/message): add below.
} as const;

/** KDF labels: `deriveSecret(secret, KDF.*, context)`. */
export const KDF = {
  // Epoch key schedule, envelopes, welcomes (crypto/src/epoch, crypto/src/envelope): add below.
  // Sender chains, messages, attachments (crypto/src/message, crypto/src/attachment): add below.
} as const;
