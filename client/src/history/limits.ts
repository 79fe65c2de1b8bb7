// Limits of the local history.

/** Characters of a message text kept in history (longer input is a caller bug). */
export const MAX_HISTORY_TEXT_CHARS = 64 * 1024;
/** Characters of a group, message or member ID. */
export const MAX_HISTORY_ID_CHARS = 128;
/** Members one message may mention. */
export const MAX_MENTIONS = 500;
/** Messages per add() call. */
export const MAX_ADD_BATCH = 10_000;
/** Messages per page of history or search. */
export const MAX_PAGE_SIZE = 500;
export const DEFAULT_PAGE_SIZE = 20;
/** Characters of a search query. */
export const MAX_QUERY_CHARS = 256;
/** Messages indexed since the last snapshot that trigger a new snapshot. */
export const CHECKPOINT_EVERY_MESSAGES = 20_000;
/** Fewest messages in the index's delta lists before they are merged into the compact base in memory. */
export const MERGE_DELTA_MIN_MESSAGES = 512;
/** ... and the delta must hold at least this share of the base's messages (bounded copying). */
export const MERGE_DELTA_RATIO = 0.25;
/** Compaction runs when at least this share of stored messages is recalled. */
export const COMPACT_GARBAGE_RATIO = 0.25;
/** Characters of a personal remark on a chat. */
export const MAX_REMARK_CHARS = 64;
