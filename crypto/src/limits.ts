// Every protocol limit in one place (docs/PROTOCOL.md "Limits" mirrors this file).
// Sections are owned by the module that enforces them; keep names SCREAMING_CASE with the unit.

// --- Group and membership log ---------------------------------------------
/** WeChat's group size; tested at this size. */
export const MAX_GROUP_MEMBERS = 500;
/** Members one add entry may bring in (all of a group's seats at most). */
export const MAX_JOINERS_PER_ADD = MAX_GROUP_MEMBERS;
/** Bytes of a sealed group info (nonce, ciphertext and tag) in a group-info entry. */
export const MAX_SEALED_GROUP_INFO_BYTES = 64 * 1024;
/** Bytes of the opaque PII policy carried in the group policy. */
export const MAX_PII_POLICY_BYTES = 4096;
/** Bytes of a whole log entry on the wire (a 500-member rotate is ~33 KB; a full group info ~64 KB). */
export const MAX_LOG_ENTRY_BYTES = 128 * 1024;
/** Bytes of an envelope's sealed payload (a welcome carries a 500-member public state and the group info). */
export const MAX_ENVELOPE_PAYLOAD_BYTES = 256 * 1024;
/** Bytes of an encoded public group state (500 members of 66 bytes, the policy, the header). */
export const MAX_PUBLIC_STATE_BYTES = 64 * 1024;
/** One-time prekeys a device keeps published at most. */
export const MAX_ONE_TIME_PREKEYS = 200;
/** How long the previous signed prekey's private key is kept after a rotation (ms), then deleted. */
export const SIGNED_PREKEY_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
/** Bytes of an encoded group member state (public state, secrets, prekey store). */
export const MAX_MEMBER_STATE_BYTES = 512 * 1024;

// --- Sender chains and messages --------------------------------------------
/** Group ID length carried in a message header (bytes). */
export const MESSAGE_GROUP_ID_BYTES = 16;
/** Largest generation a sender chain may reach; a sender must move to a new epoch before (u32 on the wire). */
export const MAX_CHAIN_GENERATION = 0xffffffff;
/** Largest epoch number a message header can carry (u32 on the wire). */
export const MAX_MESSAGE_EPOCH = 0xffffffff;
/** A message may be at most this many generations ahead of the receiver's chain (libsignal: 25,000). */
export const MAX_FORWARD_JUMP = 2_000;
/** Skipped message keys kept per sender chain; the oldest is evicted beyond this. */
export const MAX_SKIPPED_KEYS_PER_SENDER = 2_000;
/** Skipped message keys kept per group, over every sender and retained epoch; the oldest is evicted beyond this. */
export const MAX_SKIPPED_KEYS_PER_GROUP = 5_000;
/** Previous epochs whose receiving chains are kept after a new epoch starts (grace window, by count). */
export const MAX_PREVIOUS_EPOCHS = 3;
/** Default grace window for previous epochs' receiving chains (milliseconds since the epoch was replaced). */
export const DEFAULT_EPOCH_GRACE_MS = 24 * 60 * 60 * 1000;
/** Largest message plaintext (bytes, before padding). */
export const MAX_MESSAGE_PLAINTEXT_BYTES = 60_000;
/** Padded plaintexts are at least this long, so short messages all look alike. */
export const MIN_PADDED_BYTES = 32;
/** Largest group message on the wire (bytes): header + padded ciphertext + tag + signature. */
export const MAX_GROUP_MESSAGE_BYTES = 65_536;

// --- Attachments -----------------------------------------------------------
/** Plaintext bytes per STREAM chunk (the last chunk may be shorter, or empty for an empty file). */
export const ATTACHMENT_CHUNK_BYTES = 65_536;
/** Plaintext size caps per attachment kind (bytes). */
export const MAX_IMAGE_BYTES = 20 * 1024 * 1024;
export const MAX_VIDEO_BYTES = 100 * 1024 * 1024;
export const MAX_VOICE_BYTES = 2 * 1024 * 1024;
export const MAX_FILE_BYTES = 100 * 1024 * 1024;
/** Largest relay blob ID carried in an attachment pointer (bytes). */
export const MAX_ATTACHMENT_BLOB_ID_BYTES = 64;

// --- Relay-visible sizes (wire) ---------------------------------------------
