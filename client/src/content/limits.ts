// Every limit of message content in one place (docs/CLIENT-SDK.md "Message content and the
// send pipeline" mirrors this file). Text caps are bytes of the field as encoded (the
// shorter of UTF-8 and UTF-16, see text-field.ts).
import { MAX_MESSAGE_PLAINTEXT_BYTES } from '../../../crypto/src/limits';

/** A whole encoded content: what the message layer accepts as one plaintext. */
export const MAX_CONTENT_BYTES = MAX_MESSAGE_PLAINTEXT_BYTES;
/** Message ID (the relay's clientMessageId): 16 bytes, time-ordered. */
export const MESSAGE_ID_BYTES = 16;
/** Member ID of a mention or a quoted sender. */
export const MEMBER_ID_BYTES = 32;

/** Body of a text message. */
export const MAX_TEXT_BYTES = 16_384;
/** Members @-mentioned by one message (a whole group). */
export const MAX_MENTIONS = 500;
/** Quoted preview of the message replied to. */
export const MAX_QUOTE_PREVIEW_BYTES = 512;

/** Attachment MIME type (ASCII `type/subtype`). */
export const MAX_MIME_BYTES = 100;
/** Attachment file name. */
export const MAX_FILE_NAME_BYTES = 255;
/** Inline thumbnail of an image or a video (metadata stripped like the image). */
export const MAX_THUMBNAIL_BYTES = 16_384;
/** Caption of an image, video or file. */
export const MAX_CAPTION_BYTES = 2_048;
/** Pixel width or height of an image or video. */
export const MAX_DIMENSION = 65_535;
/** Duration of a voice message or video (ms): 24 h. */
export const MAX_DURATION_MS = 24 * 60 * 60 * 1000;

/** Poll question. */
export const MAX_POLL_QUESTION_BYTES = 1_024;
/** Options of one poll. */
export const MIN_POLL_OPTIONS = 2;
export const MAX_POLL_OPTIONS = 20;
/** One poll option. */
export const MAX_POLL_OPTION_BYTES = 200;

/** Q&A question. */
export const MAX_QUESTION_BYTES = 4_096;
/** Q&A answer. */
export const MAX_ANSWER_BYTES = 8_192;
/** Answers kept per question; later ones are dropped (counted). */
export const MAX_ANSWERS_PER_QUESTION = 500;

/** A member may recall their own message this long after the relay received it (ms). */
export const RECALL_WINDOW_MS = 2 * 60 * 1000;
