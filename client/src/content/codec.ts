// The content encoding: one versioned binary structure per message, strictly decoded.
// Spec: docs/CLIENT-SDK.md "Message content and the send pipeline".
//
//   content = u8 version (=1) || u8 type || messageId[16] || u64 sentAt (ms) || body
//
//   type  body
//   1 text        u8 flags (bit0 @all, bit1 reply; others 0) || text(1..16384)
//                 || u16 n || n x memberId[32] (strictly ascending, n <= 500)
//                 || [reply: messageId[16] || sender[32] || text preview(0..512)]
//   2 image       u8 flags (bit0 thumbnail; others 0) || u8 len || attachment pointer
//   3 video         (crypto/src/wire/attachment.ts; its kind must equal the type)
//   4 voice       || u8 len || mime (ASCII type/subtype, 0..100) || text name(0..255)
//   5 file        || u16 width || u16 height || u32 durationMs || text caption(0..2048)
//                 || [thumbnail: u16 len || bytes (1..16384)]
//   6 poll-create text question(1..1024) || u8 maxChoices (1..n) || u8 n (2..20)
//                 || n x text option(1..200), pairwise distinct
//   7 poll-vote   pollId[16] || u8 n (0..20) || n x u8 index (strictly ascending, < 20)
//   8 poll-close  pollId[16]
//   9 qa-ask      text question(1..4096)
//  10 qa-answer   questionId[16] || text answer(1..8192)
//  11 qa-accept   questionId[16] || answerId[16]
//  12 recall      targetId[16]
//
//   text(min..max) = u8 form || u16 len || bytes (text-field.ts: UTF-8, or UTF-16BE when
//                    strictly shorter; the bounds apply to the encoded bytes)
//
// Width and height are 0 except for image and video, durationMs 0 except for video and
// voice, no caption on voice, thumbnails only on image and video. Every decoder failure is
// E2E_ERR_CONTENT_MALFORMED naming the field, never the content; an unknown version or
// type is E2E_ERR_CONTENT_UNSUPPORTED (a newer client sent it); the whole content is at
// most MAX_CONTENT_BYTES.
import { assertBytes, assertInteger } from '../../../crypto/src/bytes';
import { E2eeError, MALFORMED } from '../../../crypto/src/errors';
import { ATTACHMENT_KIND, decodeAttachmentPointer, encodeAttachmentPointer } from '../../../crypto/src/wire/attachment';
import { WireReader, WireWriter } from '../../../crypto/src/wire/codec';
import { compareIds } from '../../../crypto/src/wire/log-entry';
import { CONTENT_MALFORMED, CONTENT_TOO_LARGE, CONTENT_UNSUPPORTED, contentError } from './errors';
import {
  MAX_CAPTION_BYTES,
  MAX_CONTENT_BYTES,
  MAX_DIMENSION,
  MAX_DURATION_MS,
  MAX_FILE_NAME_BYTES,
  MAX_MENTIONS,
  MAX_MIME_BYTES,
  MAX_ANSWER_BYTES,
  MAX_POLL_OPTION_BYTES,
  MAX_POLL_OPTIONS,
  MAX_POLL_QUESTION_BYTES,
  MAX_QUESTION_BYTES,
  MAX_QUOTE_PREVIEW_BYTES,
  MAX_TEXT_BYTES,
  MAX_THUMBNAIL_BYTES,
  MEMBER_ID_BYTES,
  MESSAGE_ID_BYTES,
  MIN_POLL_OPTIONS,
} from './limits';
import { readText, writeText } from './text-field';
import type { AttachmentContent, AttachmentContentType, ContentType, MessageContent } from './types';

export const CONTENT_VERSION = 1;

export const CONTENT_TYPE_CODE: Readonly<Record<ContentType, number>> = {
  text: 1,
  image: 2,
  video: 3,
  voice: 4,
  file: 5,
  'poll-create': 6,
  'poll-vote': 7,
  'poll-close': 8,
  'qa-ask': 9,
  'qa-answer': 10,
  'qa-accept': 11,
  recall: 12,
};
const TYPE_BY_CODE = new Map<number, ContentType>(Object.entries(CONTENT_TYPE_CODE).map(([t, c]) => [c, t as ContentType]));

const ENCODE = 'encodeContent';
const DECODE = 'decodeContent';
const MIME_PATTERN = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;
const FLAG_MENTION_ALL = 1;
const FLAG_REPLY = 2;
const FLAG_THUMBNAIL = 1;
const MAX_POINTER_BYTES = 0xff;

/** A WireReader whose failures are E2E_ERR_CONTENT_MALFORMED. */
class ContentReader extends WireReader {
  constructor(input: Uint8Array) {
    super(input, 'message content');
  }
  override fail(field: string, reason: string): never {
    throw contentError(CONTENT_MALFORMED, `message content: ${field}: ${reason}`, DECODE);
  }
}

function sortedUnique(ids: readonly Uint8Array[], name: string): Uint8Array[] {
  if (!Array.isArray(ids)) throw new TypeError(`"${name}" expected an array`);
  ids.forEach((id, i) => assertBytes(`${name}[${i}]`, id, MEMBER_ID_BYTES));
  const sorted = [...ids].sort(compareBytes);
  return sorted.filter((id, i) => i === 0 || compareBytes(sorted[i - 1]!, id) !== 0);
}

/** Bytewise order of IDs (the membership log's `compareIds`: one implementation in the bundle). */
export const compareBytes = compareIds;

/** Encodes content; throws E2E_ERR_CONTENT_TOO_LARGE over a cap, TypeError/RangeError on caller bugs. */
export function encodeContent(c: MessageContent): Uint8Array {
  if (typeof c !== 'object' || c === null) throw new TypeError('"content" expected an object');
  const code = CONTENT_TYPE_CODE[c.type];
  if (code === undefined) throw new TypeError(`"content.type" unknown: ${String((c as { type: unknown }).type)}`);
  assertBytes('messageId', c.messageId, MESSAGE_ID_BYTES);
  assertInteger('sentAt', c.sentAt);
  const w = new WireWriter(128).u8(CONTENT_VERSION).u8(code).fixed(c.messageId, MESSAGE_ID_BYTES).u64(c.sentAt);
  switch (c.type) {
    case 'text': {
      const mentions = sortedUnique(c.mentions, 'mentions');
      if (mentions.length > MAX_MENTIONS) throw contentError(CONTENT_TOO_LARGE, `mentions: ${mentions.length} exceed ${MAX_MENTIONS}`, ENCODE);
      w.u8((c.mentionAll ? FLAG_MENTION_ALL : 0) | (c.replyTo ? FLAG_REPLY : 0));
      writeText(w, 'text', c.text, 1, MAX_TEXT_BYTES, ENCODE);
      w.u16(mentions.length);
      for (const id of mentions) w.fixed(id, MEMBER_ID_BYTES);
      if (c.replyTo) {
        w.fixed(assertBytes('replyTo.messageId', c.replyTo.messageId, MESSAGE_ID_BYTES), MESSAGE_ID_BYTES);
        w.fixed(assertBytes('replyTo.sender', c.replyTo.sender, MEMBER_ID_BYTES), MEMBER_ID_BYTES);
        writeText(w, 'replyTo.preview', c.replyTo.preview, 0, MAX_QUOTE_PREVIEW_BYTES, ENCODE);
      }
      break;
    }
    case 'image':
    case 'video':
    case 'voice':
    case 'file':
      writeAttachment(w, c);
      break;
    case 'poll-create': {
      if (!Array.isArray(c.options)) throw new TypeError('"options" expected an array');
      if (c.options.length < MIN_POLL_OPTIONS) throw new RangeError(`"options" expected at least ${MIN_POLL_OPTIONS}`);
      if (c.options.length > MAX_POLL_OPTIONS) throw contentError(CONTENT_TOO_LARGE, `options: ${c.options.length} exceed ${MAX_POLL_OPTIONS}`, ENCODE);
      assertInteger('maxChoices', c.maxChoices, 1, c.options.length);
      if (new Set(c.options).size !== c.options.length) throw new RangeError('"options" must be distinct');
      writeText(w, 'question', c.question, 1, MAX_POLL_QUESTION_BYTES, ENCODE);
      w.u8(c.maxChoices).u8(c.options.length);
      c.options.forEach((o, i) => writeText(w, `options[${i}]`, o, 1, MAX_POLL_OPTION_BYTES, ENCODE));
      break;
    }
    case 'poll-vote': {
      w.fixed(assertBytes('pollId', c.pollId, MESSAGE_ID_BYTES), MESSAGE_ID_BYTES);
      if (!Array.isArray(c.choices)) throw new TypeError('"choices" expected an array');
      const choices = [...new Set(c.choices.map((x, i) => assertInteger(`choices[${i}]`, x, 0, MAX_POLL_OPTIONS - 1)))].sort((a, b) => a - b);
      w.u8(choices.length);
      for (const x of choices) w.u8(x);
      break;
    }
    case 'poll-close':
      w.fixed(assertBytes('pollId', c.pollId, MESSAGE_ID_BYTES), MESSAGE_ID_BYTES);
      break;
    case 'qa-ask':
      writeText(w, 'question', c.question, 1, MAX_QUESTION_BYTES, ENCODE);
      break;
    case 'qa-answer':
      w.fixed(assertBytes('questionId', c.questionId, MESSAGE_ID_BYTES), MESSAGE_ID_BYTES);
      writeText(w, 'answer', c.text, 1, MAX_ANSWER_BYTES, ENCODE);
      break;
    case 'qa-accept':
      w.fixed(assertBytes('questionId', c.questionId, MESSAGE_ID_BYTES), MESSAGE_ID_BYTES);
      w.fixed(assertBytes('answerId', c.answerId, MESSAGE_ID_BYTES), MESSAGE_ID_BYTES);
      break;
    case 'recall':
      w.fixed(assertBytes('targetId', c.targetId, MESSAGE_ID_BYTES), MESSAGE_ID_BYTES);
      break;
  }
  const out = w.finish();
  if (out.length > MAX_CONTENT_BYTES) throw contentError(CONTENT_TOO_LARGE, `content: ${out.length} bytes exceed ${MAX_CONTENT_BYTES}`, ENCODE);
  return out;
}

function writeAttachment(w: WireWriter, c: AttachmentContent): void {
  if (typeof c.pointer !== 'object' || c.pointer === null) throw new TypeError('"pointer" expected an object');
  if (c.pointer.kind !== c.type) throw new RangeError(`"pointer.kind" ${String(c.pointer.kind)} does not match the content type ${c.type}`);
  const visual = c.type === 'image' || c.type === 'video';
  const timed = c.type === 'video' || c.type === 'voice';
  assertInteger('width', c.width, 0, visual ? MAX_DIMENSION : 0);
  assertInteger('height', c.height, 0, visual ? MAX_DIMENSION : 0);
  assertInteger('durationMs', c.durationMs, 0, timed ? MAX_DURATION_MS : 0);
  if (typeof c.mime !== 'string' || (c.mime !== '' && !MIME_PATTERN.test(c.mime)) || c.mime.length > MAX_MIME_BYTES) {
    throw new RangeError('"mime" expected a lower-case ASCII type/subtype of at most 100 characters, or ""');
  }
  if (c.thumbnail !== undefined) {
    if (!visual) throw new RangeError(`"thumbnail" is only for image and video, not ${c.type}`);
    assertBytes('thumbnail', c.thumbnail);
    if (c.thumbnail.length === 0) throw new RangeError('"thumbnail" must not be empty');
    if (c.thumbnail.length > MAX_THUMBNAIL_BYTES) throw contentError(CONTENT_TOO_LARGE, `thumbnail: ${c.thumbnail.length} bytes exceed ${MAX_THUMBNAIL_BYTES}`, ENCODE);
  }
  if (c.type === 'voice' && c.caption !== '') throw new RangeError('"caption" is not allowed on voice');
  const pointer = encodeAttachmentPointer(c.pointer);
  w.u8(c.thumbnail !== undefined ? FLAG_THUMBNAIL : 0);
  w.bytes8(pointer, MAX_POINTER_BYTES);
  w.bytes8(asciiBytes(c.mime), MAX_MIME_BYTES);
  writeText(w, 'name', c.name, 0, MAX_FILE_NAME_BYTES, ENCODE);
  w.u16(c.width).u16(c.height).u32(c.durationMs);
  writeText(w, 'caption', c.caption, 0, MAX_CAPTION_BYTES, ENCODE);
  if (c.thumbnail !== undefined) w.bytes16(c.thumbnail, MAX_THUMBNAIL_BYTES);
}

function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Decodes content bytes strictly; see the diagram above. */
export function decodeContent(bytes: Uint8Array): MessageContent {
  assertBytes('bytes', bytes);
  if (bytes.length > MAX_CONTENT_BYTES) throw contentError(CONTENT_MALFORMED, `message content: ${bytes.length} bytes exceed ${MAX_CONTENT_BYTES}`, DECODE);
  const r = new ContentReader(bytes);
  const version = r.u8('version');
  if (version !== CONTENT_VERSION) throw contentError(CONTENT_UNSUPPORTED, `message content: unsupported version ${version}`, DECODE);
  const code = r.u8('type');
  const type = TYPE_BY_CODE.get(code);
  if (type === undefined) throw contentError(CONTENT_UNSUPPORTED, `message content: unknown type ${code}`, DECODE);
  const messageId = r.fixed('messageId', MESSAGE_ID_BYTES);
  const sentAt = r.u64('sentAt');
  const head = { messageId, sentAt };
  let out: MessageContent;
  switch (type) {
    case 'text': {
      const flags = r.u8('flags');
      if (flags & ~(FLAG_MENTION_ALL | FLAG_REPLY)) r.fail('flags', 'unknown bits set');
      const text = readText(r, 'text', 1, MAX_TEXT_BYTES);
      const n = r.u16('mention count');
      if (n > MAX_MENTIONS) r.fail('mention count', `${n} exceeds ${MAX_MENTIONS}`);
      const mentions: Uint8Array[] = [];
      for (let i = 0; i < n; i++) {
        const id = r.fixed('mention', MEMBER_ID_BYTES);
        if (i > 0 && compareBytes(mentions[i - 1]!, id) >= 0) r.fail('mentions', 'not strictly ascending');
        mentions.push(id);
      }
      const base = { type, ...head, text, mentions, mentionAll: (flags & FLAG_MENTION_ALL) !== 0 } as const;
      if (flags & FLAG_REPLY) {
        const replyTo = {
          messageId: r.fixed('replyTo.messageId', MESSAGE_ID_BYTES),
          sender: r.fixed('replyTo.sender', MEMBER_ID_BYTES),
          preview: readText(r, 'replyTo.preview', 0, MAX_QUOTE_PREVIEW_BYTES),
        };
        out = { ...base, replyTo };
      } else {
        out = base;
      }
      break;
    }
    case 'image':
    case 'video':
    case 'voice':
    case 'file':
      out = readAttachment(r, type, head);
      break;
    case 'poll-create': {
      const question = readText(r, 'question', 1, MAX_POLL_QUESTION_BYTES);
      const maxChoices = r.u8('maxChoices');
      const n = r.u8('option count');
      if (n < MIN_POLL_OPTIONS || n > MAX_POLL_OPTIONS) r.fail('option count', `${n} outside ${MIN_POLL_OPTIONS}..${MAX_POLL_OPTIONS}`);
      if (maxChoices < 1 || maxChoices > n) r.fail('maxChoices', `${maxChoices} outside 1..${n}`);
      const options: string[] = [];
      for (let i = 0; i < n; i++) options.push(readText(r, 'option', 1, MAX_POLL_OPTION_BYTES));
      if (new Set(options).size !== n) r.fail('options', 'not distinct');
      out = { type, ...head, question, options, maxChoices };
      break;
    }
    case 'poll-vote': {
      const pollId = r.fixed('pollId', MESSAGE_ID_BYTES);
      const n = r.u8('choice count');
      if (n > MAX_POLL_OPTIONS) r.fail('choice count', `${n} exceeds ${MAX_POLL_OPTIONS}`);
      const choices: number[] = [];
      for (let i = 0; i < n; i++) {
        const x = r.u8('choice');
        if (x >= MAX_POLL_OPTIONS) r.fail('choice', `index ${x} out of range`);
        if (i > 0 && choices[i - 1]! >= x) r.fail('choices', 'not strictly ascending');
        choices.push(x);
      }
      out = { type, ...head, pollId, choices };
      break;
    }
    case 'poll-close':
      out = { type, ...head, pollId: r.fixed('pollId', MESSAGE_ID_BYTES) };
      break;
    case 'qa-ask':
      out = { type, ...head, question: readText(r, 'question', 1, MAX_QUESTION_BYTES) };
      break;
    case 'qa-answer': {
      const questionId = r.fixed('questionId', MESSAGE_ID_BYTES);
      out = { type, ...head, questionId, text: readText(r, 'answer', 1, MAX_ANSWER_BYTES) };
      break;
    }
    case 'qa-accept': {
      const questionId = r.fixed('questionId', MESSAGE_ID_BYTES);
      out = { type, ...head, questionId, answerId: r.fixed('answerId', MESSAGE_ID_BYTES) };
      break;
    }
    case 'recall':
      out = { type, ...head, targetId: r.fixed('targetId', MESSAGE_ID_BYTES) };
      break;
  }
  r.end();
  return out;
}

function readAttachment(r: ContentReader, type: AttachmentContentType, head: { messageId: Uint8Array; sentAt: number }): AttachmentContent {
  const flags = r.u8('flags');
  if (flags & ~FLAG_THUMBNAIL) r.fail('flags', 'unknown bits set');
  const pointerBytes = r.bytes8('pointer', MAX_POINTER_BYTES);
  let pointer;
  try {
    pointer = decodeAttachmentPointer(pointerBytes);
  } catch (e) {
    if (e instanceof E2eeError) r.fail('pointer', e.code === MALFORMED ? 'malformed attachment pointer' : `attachment pointer: ${e.code}`);
    throw e;
  }
  if (ATTACHMENT_KIND[pointer.kind] !== ATTACHMENT_KIND[type]) r.fail('pointer', `kind ${pointer.kind} does not match type ${type}`);
  const mimeBytes = r.bytes8('mime', MAX_MIME_BYTES);
  const mime = String.fromCharCode(...mimeBytes);
  if (mime !== '' && !MIME_PATTERN.test(mime)) r.fail('mime', 'not a lower-case ASCII type/subtype');
  const name = readText(r, 'name', 0, MAX_FILE_NAME_BYTES);
  const width = r.u16('width');
  const height = r.u16('height');
  const durationMs = r.u32('durationMs');
  const visual = type === 'image' || type === 'video';
  const timed = type === 'video' || type === 'voice';
  if (!visual && (width !== 0 || height !== 0)) r.fail('width/height', `must be 0 for ${type}`);
  if (!timed && durationMs !== 0) r.fail('durationMs', `must be 0 for ${type}`);
  if (durationMs > MAX_DURATION_MS) r.fail('durationMs', `exceeds ${MAX_DURATION_MS}`);
  const caption = readText(r, 'caption', 0, MAX_CAPTION_BYTES);
  if (type === 'voice' && caption !== '') r.fail('caption', 'not allowed on voice');
  const base: AttachmentContent = { type, ...head, pointer, mime, name, width, height, durationMs, caption };
  if (flags & FLAG_THUMBNAIL) {
    if (!visual) r.fail('thumbnail', `not allowed on ${type}`);
    return { ...base, thumbnail: r.bytes16('thumbnail', MAX_THUMBNAIL_BYTES, 1) };
  }
  return base;
}
