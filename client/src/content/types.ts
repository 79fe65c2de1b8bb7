// Message content: what a group message says, as plain data. Encoded by codec.ts into
// the plaintext the message layer pads and encrypts. System notices (joined, kicked,
// renamed) are not content: every client derives them locally from the membership log.
import type { AttachmentPointer } from '../../../crypto/src/wire/attachment';

export const CONTENT_TYPES = [
  'text',
  'image',
  'video',
  'voice',
  'file',
  'poll-create',
  'poll-vote',
  'poll-close',
  'qa-ask',
  'qa-answer',
  'qa-accept',
  'recall',
] as const;
export type ContentType = (typeof CONTENT_TYPES)[number];

export const ATTACHMENT_CONTENT_TYPES = ['image', 'video', 'voice', 'file'] as const;
export type AttachmentContentType = (typeof ATTACHMENT_CONTENT_TYPES)[number];

/** What every content carries. */
export interface ContentHeader {
  /** 16 bytes: the relay's clientMessageId, time-ordered (message-id.ts). */
  readonly messageId: Uint8Array;
  /** The sender's clock (ms since the Unix epoch): shown, never trusted for rules. */
  readonly sentAt: number;
}

/** The message a reply quotes. */
export interface QuoteRef {
  readonly messageId: Uint8Array;
  /** Member ID of the quoted message's sender (32 bytes). */
  readonly sender: Uint8Array;
  /** A short preview of the quoted text, as the replier's client saw it. */
  readonly preview: string;
}

export interface TextContent extends ContentHeader {
  readonly type: 'text';
  /** Non-empty; emoji are ordinary characters. */
  readonly text: string;
  /** Member IDs (32 bytes) @-mentioned; encoded sorted and without duplicates. */
  readonly mentions: readonly Uint8Array[];
  readonly mentionAll: boolean;
  readonly replyTo?: QuoteRef;
}

export interface AttachmentContent extends ContentHeader {
  readonly type: AttachmentContentType;
  /** Blob ID, file key, blob digest and plaintext size (crypto/src/wire/attachment.ts); its kind equals `type`. */
  readonly pointer: AttachmentPointer;
  /** ASCII `type/subtype`, e.g. `image/jpeg`; '' when unknown. */
  readonly mime: string;
  /** File name as the sender gave it ('' when none). */
  readonly name: string;
  /** Pixels; 0 when unknown. Image and video only (0 otherwise). */
  readonly width: number;
  readonly height: number;
  /** Milliseconds; 0 when unknown. Video and voice only (0 otherwise). */
  readonly durationMs: number;
  /** Small inline preview (image/video only), metadata stripped. */
  readonly thumbnail?: Uint8Array;
  /** Caption text ('' when none). Not for voice. */
  readonly caption: string;
}

export interface PollCreateContent extends ContentHeader {
  readonly type: 'poll-create';
  readonly question: string;
  /** 2..20 distinct, non-empty options. */
  readonly options: readonly string[];
  /** Most options one voter may choose: 1 for a single-choice poll, up to options.length. */
  readonly maxChoices: number;
}

export interface PollVoteContent extends ContentHeader {
  readonly type: 'poll-vote';
  /** Message ID of the poll. */
  readonly pollId: Uint8Array;
  /** Option indices, encoded ascending without duplicates; empty withdraws the vote. */
  readonly choices: readonly number[];
}

export interface PollCloseContent extends ContentHeader {
  readonly type: 'poll-close';
  readonly pollId: Uint8Array;
}

export interface QaAskContent extends ContentHeader {
  readonly type: 'qa-ask';
  readonly question: string;
}

export interface QaAnswerContent extends ContentHeader {
  readonly type: 'qa-answer';
  readonly questionId: Uint8Array;
  readonly text: string;
}

export interface QaAcceptContent extends ContentHeader {
  readonly type: 'qa-accept';
  readonly questionId: Uint8Array;
  /** Message ID of the accepted answer. */
  readonly answerId: Uint8Array;
}

export interface RecallContent extends ContentHeader {
  readonly type: 'recall';
  /** Message ID of the message recalled. */
  readonly targetId: Uint8Array;
}

export type MessageContent =
  | TextContent
  | AttachmentContent
  | PollCreateContent
  | PollVoteContent
  | PollCloseContent
  | QaAskContent
  | QaAnswerContent
  | QaAcceptContent
  | RecallContent;

/** Content types that show as a message of their own (and so may be recalled). */
export const DISPLAYED_TYPES: readonly ContentType[] = ['text', 'image', 'video', 'voice', 'file', 'poll-create', 'qa-ask', 'qa-answer'];

export function isAttachmentContent(c: MessageContent): c is AttachmentContent {
  return (ATTACHMENT_CONTENT_TYPES as readonly string[]).includes(c.type);
}
