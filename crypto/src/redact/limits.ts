// Limits of the redactor. Every window and cap is a constant here so the streaming
// guarantee (docs/REDACTION.md "Streaming") can be stated in terms of them.

/** Longest value any recogniser reports (emails are the longest: 64 + 1 + 63). */
export const MAX_ENTITY_LENGTH = 128;
/** Characters before a value searched for context words. */
export const CONTEXT_BEFORE = 12;
/** Characters after a value searched for context words. */
export const CONTEXT_AFTER = 6;
/** Characters a keyword-driven recogniser (QQ, WeChat, name, address) skips between keyword and value. */
export const KEYWORD_GAP = 4;
/** Longest PERSON value. */
export const MAX_PERSON_LENGTH = 4;
/** Longest ADDRESS value. */
export const MAX_ADDRESS_LENGTH = 60;
/** Policy caps. */
export const MAX_POLICY_LIST_ENTRIES = 256;
export const MAX_POLICY_LIST_ENTRY_LENGTH = 64;
export const MIN_POLICY_LIST_ENTRY_LENGTH = 2;
/** Largest canonical policy encoding accepted by the decoder, in UTF-16 code units. */
export const MAX_POLICY_JSON_LENGTH = 64 * 1024;
/** Token key size in bytes. */
export const TOKEN_KEY_LENGTH = 32;
/** Hex characters of the keyed token (48 bits). */
export const TOKEN_HEX_LENGTH = 12;
/**
 * Text the stream holds back: a value ending at the cut may still grow, and its context
 * words and its right boundary may still arrive.
 */
export const STREAM_HOLD = MAX_ENTITY_LENGTH + 16;
/** Already emitted text the stream keeps for left context and left boundaries. */
export const STREAM_LOOKBACK = MAX_ENTITY_LENGTH + CONTEXT_BEFORE + KEYWORD_GAP + 8;
