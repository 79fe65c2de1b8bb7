// Validation of stored messages and the records of the history log.
//
// Log record = UTF-8 JSON, one per frame of the store's log:
//   {"op":"put","m":[{...StoredMessage}, ...]}  messages, at most PUT_RECORD_TARGET_BYTES
//                                               of JSON per record (docId = ordinal of the
//                                               message among all put messages)
//   {"op":"del","g":groupId,"i":messageId}      a recall
// Batching many messages per record keeps a cold start of 100,000 messages to ~100
// frames and ~100 JSON.parse calls instead of 100,000 each.
// A record that does not decode is skipped on replay and counted (the store's CRC has
// already caught torn writes, so this only happens if a record was written by a bug).
import { MAX_HISTORY_ID_CHARS, MAX_HISTORY_TEXT_CHARS, MAX_MENTIONS } from './limits';
import { MESSAGE_TYPES, type AttachmentMeta, type MessageType, type StoredMessage } from './types';
import { decodeUtf8, encodeUtf8 } from './utf8';

function fail(name: string, expected: string, kind: 'type' | 'range' = 'type'): never {
  const message = `"${name}" expected ${expected}`;
  throw kind === 'type' ? new TypeError(message) : new RangeError(message);
}

export function checkId(name: string, value: unknown): string {
  if (typeof value !== 'string') fail(name, 'string');
  if (value.length === 0 || value.length > MAX_HISTORY_ID_CHARS) fail(name, `1..${MAX_HISTORY_ID_CHARS} characters`, 'range');
  return value;
}

function checkCount(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail(name, 'a safe integer');
  if (value < 0) fail(name, 'a non-negative integer', 'range');
  return value;
}

function optionalString(name: string, value: unknown, max = 1024): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') fail(name, 'string');
  if (value.length > max) fail(name, `at most ${max} characters`, 'range');
  return value;
}

function optionalCount(name: string, value: unknown): number | undefined {
  return value === undefined ? undefined : checkCount(name, value);
}

export function isMessageType(value: unknown): value is MessageType {
  return typeof value === 'string' && (MESSAGE_TYPES as readonly string[]).includes(value);
}

function checkAttachment(name: string, a: unknown): AttachmentMeta | undefined {
  if (a === undefined) return undefined;
  if (typeof a !== 'object' || a === null || Array.isArray(a)) fail(name, 'an object');
  const r = a as Record<string, unknown>;
  const out: AttachmentMeta = {};
  const s = (k: keyof AttachmentMeta, max?: number) => {
    const v = optionalString(`${name}.${k}`, r[k], max);
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  };
  const n = (k: keyof AttachmentMeta) => {
    const v = optionalCount(`${name}.${k}`, r[k]);
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  };
  s('blobId', MAX_HISTORY_ID_CHARS);
  n('size');
  s('mime', 128);
  s('name', 1024);
  n('width');
  n('height');
  n('durationMs');
  s('sha256', 128);
  s('key', 128);
  return out;
}

/** Checks a message from the SDK and returns a clean copy (unknown fields dropped). */
export function checkMessage(value: unknown, name = 'message'): StoredMessage {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(name, 'an object');
  const m = value as Record<string, unknown>;
  if (!isMessageType(m.type)) fail(`${name}.type`, `one of ${MESSAGE_TYPES.join(', ')}`);
  if (typeof m.text !== 'string') fail(`${name}.text`, 'string');
  if (m.text.length > MAX_HISTORY_TEXT_CHARS) fail(`${name}.text`, `at most ${MAX_HISTORY_TEXT_CHARS} characters`, 'range');
  const mentions = m.mentions ?? [];
  if (!Array.isArray(mentions)) fail(`${name}.mentions`, 'an array');
  if (mentions.length > MAX_MENTIONS) fail(`${name}.mentions`, `at most ${MAX_MENTIONS} entries`, 'range');
  if (m.mentionAll !== undefined && typeof m.mentionAll !== 'boolean') fail(`${name}.mentionAll`, 'boolean');
  const out: StoredMessage = {
    groupId: checkId(`${name}.groupId`, m.groupId),
    messageId: checkId(`${name}.messageId`, m.messageId),
    sender: checkId(`${name}.sender`, m.sender),
    seq: checkCount(`${name}.seq`, m.seq),
    timestamp: checkCount(`${name}.timestamp`, m.timestamp),
    type: m.type,
    text: m.text,
    mentions: mentions.map((id, i) => checkId(`${name}.mentions[${i}]`, id)),
    mentionAll: m.mentionAll === true,
  };
  if (m.replyTo !== undefined) out.replyTo = checkId(`${name}.replyTo`, m.replyTo);
  const attachment = checkAttachment(`${name}.attachment`, m.attachment);
  if (attachment) out.attachment = attachment;
  return out;
}

/** The text search sees: the message text and an attachment's file name. */
export function searchableText(m: StoredMessage): string {
  return m.attachment?.name ? `${m.text}\n${m.attachment.name}` : m.text;
}

export type LogRecord = { op: 'put'; m: StoredMessage[] } | { op: 'del'; g: string; i: string };

/** JSON bytes of messages per put record (well under the store's 1 MiB record cap). */
export const PUT_RECORD_TARGET_BYTES = 256 * 1024;

export function encodeRecord(record: LogRecord): Uint8Array {
  return encodeUtf8(JSON.stringify(record));
}

/** Put records for `messages`, in order, each about PUT_RECORD_TARGET_BYTES at most. */
export function encodePutRecords(messages: readonly StoredMessage[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let parts: string[] = [];
  let size = 0;
  const flush = () => {
    if (parts.length > 0) out.push(encodeUtf8(`{"op":"put","m":[${parts.join(',')}]}`));
    parts = [];
    size = 0;
  };
  for (const m of messages) {
    const json = JSON.stringify(m);
    // A message's JSON is at most ~400 KB (64 Ki characters, escaped): one per record then.
    if (size > 0 && size + json.length * 3 > PUT_RECORD_TARGET_BYTES) flush();
    parts.push(json);
    size += json.length * 3;
  }
  flush();
  return out;
}

/** The record, or null when it does not decode or does not validate. */
export function decodeRecord(bytes: Uint8Array): LogRecord | null {
  const text = decodeUtf8(bytes);
  if (text === null) return null;
  try {
    const r = JSON.parse(text) as Record<string, unknown>;
    if (r.op === 'put' && Array.isArray(r.m) && r.m.length > 0) return { op: 'put', m: r.m.map((m) => checkMessage(m)) };
    if (r.op === 'del') return { op: 'del', g: checkId('g', r.g), i: checkId('i', r.i) };
  } catch {
    return null;
  }
  return null;
}
