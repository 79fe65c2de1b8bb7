// Plain records of the local history. Messages are stored once, decrypted, after the
// protocol has verified them; nothing here is sent anywhere.

export const MESSAGE_TYPES = ['text', 'image', 'video', 'voice', 'file', 'poll', 'qa', 'system'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** What the history keeps about an attachment (the blob itself lives elsewhere). */
export interface AttachmentMeta {
  /** Relay blob ID. */
  blobId?: string;
  /** Bytes of the plaintext file. */
  size?: number;
  mime?: string;
  /** File name as the sender gave it; searchable like the message text. */
  name?: string;
  width?: number;
  height?: number;
  durationMs?: number;
  /** Hex digest of the plaintext, as carried in the message. */
  sha256?: string;
  /** Hex file key, as carried in the message (same at-rest protection as the text). */
  key?: string;
}

export interface StoredMessage {
  groupId: string;
  messageId: string;
  /** Sender member ID. */
  sender: string;
  /** Relay-assigned sequence number within the group. */
  seq: number;
  /** Sender's timestamp, ms since the Unix epoch. */
  timestamp: number;
  type: MessageType;
  /** Text, caption, poll question, Q&A question or system notice. */
  text: string;
  /** Member IDs @-mentioned. */
  mentions: string[];
  /** @all. */
  mentionAll: boolean;
  /** Message ID this one replies to / quotes. */
  replyTo?: string;
  attachment?: AttachmentMeta;
}

/** Narrowing shared by search and paging. Every field is optional; absent means "any". */
export interface MessageFilter {
  /** Only messages from these members (a speaking record, 发言记录). */
  senders?: string[];
  types?: MessageType[];
  /** Inclusive lower bound on timestamp (ms). */
  since?: number;
  /** Exclusive upper bound on timestamp (ms). */
  until?: number;
  /** Show messages of blocked members too (default false: hidden, never deleted). */
  includeBlocked?: boolean;
}

export interface SearchQuery {
  /** Keywords; empty or absent lists every message that passes the filter. */
  text?: string;
  /** One group, or all groups when absent. */
  groupId?: string;
  filter?: MessageFilter;
  /** Results per page (default 20, at most MAX_PAGE_SIZE). */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface SearchResult {
  /** Newest first. */
  messages: StoredMessage[];
  /** Matches in all pages. */
  total: number;
  /** Pass as `cursor` for the next (older) page; absent on the last page. */
  nextCursor?: string;
}

export interface PageQuery {
  /** Messages with a smaller sequence than this (older). */
  before?: number;
  /** Messages with a larger sequence than this (newer). At most one of before/after. */
  after?: number;
  limit?: number;
  filter?: MessageFilter;
}

export interface Page {
  /** Ascending sequence order. */
  messages: StoredMessage[];
  /** More messages exist beyond this page in the direction asked (older for before/latest, newer for after). */
  hasMore: boolean;
}
