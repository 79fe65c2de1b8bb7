// Every signature label and KDF label of the protocol, in one place. Each is
// prefixed with "wxe2ee v1 " by crypto/src/kdf.ts. A label is used for exactly one
// purpose; docs/PROTOCOL.md lists them all with what they cover.

/** Signature labels: `signWithLabel(seed, SIG_*, data)`. */
export const SIG = {
  /** The relay's auth challenge, signed by a device to log in. */
  RELAY_AUTH: 'sig relay auth',
  // Membership log, identity and prekeys (crypto/src/log, crypto/src/identity): add below.
  /** A membership log entry: covers the entry content (with every envelope hash) and its confirmation MAC. */
  LOG_ENTRY: 'sig log entry',
  /** A prekey bundle: identity key, signed X25519 prekey and its ID. */
  PREKEY_BUNDLE: 'sig prekey bundle',
  /** One one-time prekey: its ID and X25519 public key (each is handed out alone). */
  ONE_TIME_PREKEY: 'sig one-time prekey',
  // Messages (crypto/src/message): add below.
  /** A group message: transcript hash || sender member ID || header || sealed ciphertext. */
  GROUP_MESSAGE: 'sig group message',
} as const;

/** KDF labels: `deriveSecret(secret, KDF.*, context)`. */
export const KDF = {
  // Epoch key schedule, envelopes, welcomes (crypto/src/epoch, crypto/src/envelope): add below.
  /**
   * joiner secret of a derived (non-fresh) entry = deriveSecret(previous epoch secret, EPOCH_JOINER,
   * groupId || u32(new epoch)). Does not depend on the entry, so a welcome can carry it.
   */
  EPOCH_JOINER: 'epoch joiner',
  /** epoch secret = deriveSecret(joiner secret, EPOCH_NEXT, entry hash). */
  EPOCH_NEXT: 'epoch next',
  /** Handed to the message layer: the root of every sender chain of the epoch. */
  EPOCH_SENDER_ROOT: 'epoch sender root',
  /** Key sealing the group info carried by entries of the NEXT epoch. */
  EPOCH_GROUP_INFO_KEY: 'epoch group info key',
  /** HMAC key of the confirmation MAC of the entry that started the epoch. */
  EPOCH_CONFIRMATION_KEY: 'epoch confirmation key',
  /**
   * Envelope AEAD key, from HKDF-Extract(salt = ephemeral || recipient prekey, ikm = X25519
   * output), context = header. The key is used once, so the AEAD nonce is fixed (zero).
   */
  ENVELOPE_KEY: 'envelope key',
  // Sender chains, messages, attachments (crypto/src/message, crypto/src/attachment): add below.
  /** Chain key 0 of a member in an epoch, from the sender root; context groupId || u32(epoch) || memberId. */
  SENDER_CHAIN: 'sender chain',
  /** Next chain key from the current one; empty context. */
  CHAIN_NEXT: 'chain next',
  /** 56 bytes of message key (32) || nonce (24) from the current chain key; empty context. */
  MESSAGE_KEY: 'message key',
} as const;

/**
 * Labelled hashes: SHA-256(u8(len L) || L || data), L = "wxe2ee v1 " || label, the
 * same framing as signatureInput (kdf.ts). Used where a value must be public and fixed.
 */
export const HASH = {
  /** memberId = labelled hash of the Ed25519 identity public key. */
  MEMBER_ID: 'hash member id',
  /** Entry hash: the entry content (everything before the MAC and signature). Feeds the key schedule. */
  LOG_ENTRY: 'hash log entry',
  /** Head hash: the whole entry bytes. Chains entries (prevHash) and is the transcript hash. */
  LOG_HEAD: 'hash log head',
  /** The hash of an envelope as listed in the entry that carries it. */
  ENVELOPE: 'hash envelope',
  /** Safety number iteration. */
  SAFETY_NUMBER: 'hash safety number',
} as const;
