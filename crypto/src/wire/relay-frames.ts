// WebSocket frames between a device and the relay (docs/RELAY.md "Frames"). One binary
// WebSocket message = one frame = u8 type || body. Integers big-endian; `bytes8` is a u8
// length prefix, `bytes32` a u32 length prefix. Every decoder consumes its input exactly.
import { assertBytes } from '../bytes';
import { WireReader, WireWriter } from './codec';

/** Group IDs are chosen by the membership log; the relay treats them as 1..32 opaque bytes. */
export const MAX_GROUP_ID_BYTES = 32;
export const MEMBER_ID_BYTES = 32;
export const CLIENT_MESSAGE_ID_BYTES = 16;
export const SESSION_TOKEN_BYTES = 32;
/** Hard cap of any frame's ciphertext/entry field; the relay's configured caps are lower. */
export const MAX_FRAME_PAYLOAD_BYTES = 16 * 1024 * 1024;
export const MAX_RESUME_GROUPS = 4096;
export const MAX_ERROR_DETAIL_BYTES = 200;

export const FRAME = {
  // device -> relay
  AUTH: 0x01,
  SEND: 0x02,
  ACK: 0x03,
  RESUME: 0x04,
  PING: 0x05,
  // relay -> device
  READY: 0x81,
  SEND_OK: 0x82,
  MESSAGE: 0x83,
  LOG_ENTRY: 0x84,
  ERROR: 0x85,
  PONG: 0x86,
  CAUGHT_UP: 0x87,
  REMOVED: 0x88,
  JOIN_REQUEST: 0x89,
} as const;

/**
 * Stable error codes of ERROR frames (u16) and of HTTP error bodies (the name, as
 * `E2E_ERR_RELAY_<NAME>`). Never renumbered.
 */
export const RELAY_ERROR = {
  MALFORMED: 1,
  UNAUTHENTICATED: 2,
  TOKEN_EXPIRED: 3,
  NOT_MEMBER: 4,
  /** The send's epoch was replaced (e.g. by a removal): fetch the log, catch up, re-encrypt. */
  STALE_EPOCH: 5,
  RATE_LIMITED: 6,
  TOO_LARGE: 7,
  UNKNOWN_GROUP: 8,
  INTERNAL: 9,
  FORBIDDEN: 10,
  /** Log append compare-and-swap lost: the head moved; fetch, rebase, retry. */
  HEAD_MISMATCH: 11,
  GROUP_DISSOLVED: 12,
  /** The send names an epoch the relay has not seen. */
  FUTURE_EPOCH: 13,
  /** The entry was rejected by the public fold (signature, authorisation, chain). */
  REJECTED_ENTRY: 14,
  NOT_FOUND: 15,
  EXPIRED: 16,
  CONFLICT: 17,
} as const;
export type RelayErrorName = keyof typeof RELAY_ERROR;

export function relayErrorName(code: number): RelayErrorName | undefined {
  return (Object.keys(RELAY_ERROR) as RelayErrorName[]).find((k) => RELAY_ERROR[k] === code);
}

/** WebSocket close codes the relay uses (4000-4999 are application codes). */
export const CLOSE = {
  /** No AUTH frame within the deadline, or a bad token. */
  AUTH_FAILED: 4401,
  /** The session token expired while connected: log in again. */
  TOKEN_EXPIRED: 4403,
  /** The socket's send queue passed the hard limit: reconnect and resume. */
  TOO_SLOW: 4409,
  /** Repeated rate-limit violations. */
  RATE_LIMITED: 4429,
  /** The identity already holds the per-identity maximum of sockets on this relay. */
  TOO_MANY_CONNECTIONS: 4430,
  /** Missed heartbeats. */
  HEARTBEAT_TIMEOUT: 4408,
  /** Relay shutting down: reconnect elsewhere or later. */
  GOING_AWAY: 1001,
  /** A frame that does not decode. */
  PROTOCOL_ERROR: 1002,
} as const;

export type ClientFrame =
  | { type: typeof FRAME.AUTH; token: Uint8Array }
    /** `ciphertext` is a group message (crypto/src/wire/message.ts); the relay reads its epoch from the header. */
  | { type: typeof FRAME.SEND; clientMessageId: Uint8Array; groupId: Uint8Array; ciphertext: Uint8Array }
  | { type: typeof FRAME.ACK; groupId: Uint8Array; seq: number }
  | { type: typeof FRAME.RESUME; cursors: ResumeCursor[] }
  | { type: typeof FRAME.PING; nonce: number };

export interface ResumeCursor {
  groupId: Uint8Array;
  /** Deliver messages with seq > this. */
  messageAfter: number;
  /** Deliver log entries with index >= this (the number of entries the device already has). */
  logFrom: number;
}

export type RelayFrame =
  | { type: typeof FRAME.READY; memberId: Uint8Array; heartbeatMs: number }
  | { type: typeof FRAME.SEND_OK; clientMessageId: Uint8Array; groupId: Uint8Array; seq: number; duplicate: boolean }
  | { type: typeof FRAME.MESSAGE; groupId: Uint8Array; seq: number; sender: Uint8Array; epoch: number; sentAt: number; ciphertext: Uint8Array }
  | { type: typeof FRAME.LOG_ENTRY; groupId: Uint8Array; index: number; entry: Uint8Array; envelope: Uint8Array }
  | { type: typeof FRAME.ERROR; code: number; clientMessageId: Uint8Array; detail: string }
  | { type: typeof FRAME.PONG; nonce: number }
  | { type: typeof FRAME.CAUGHT_UP; groupId: Uint8Array; messageSeq: number; logLength: number }
  | { type: typeof FRAME.REMOVED; groupId: Uint8Array }
  | { type: typeof FRAME.JOIN_REQUEST; groupId: Uint8Array; requestId: number };

const NO_CLIENT_ID = new Uint8Array(CLIENT_MESSAGE_ID_BYTES);

function groupIdField(w: WireWriter, groupId: Uint8Array): WireWriter {
  assertBytes('groupId', groupId);
  if (groupId.length < 1) throw new RangeError('"groupId" must not be empty');
  return w.bytes8(groupId, MAX_GROUP_ID_BYTES);
}

function readGroupId(r: WireReader): Uint8Array {
  return r.bytes8('groupId', MAX_GROUP_ID_BYTES, 1);
}

// --- device -> relay ---------------------------------------------------------

export function encodeClientFrame(f: ClientFrame): Uint8Array {
  switch (f.type) {
    case FRAME.AUTH:
      return new WireWriter(1 + SESSION_TOKEN_BYTES).u8(f.type).fixed(f.token, SESSION_TOKEN_BYTES).finish();
    case FRAME.SEND: {
      const w = new WireWriter(40 + f.ciphertext.length).u8(f.type).fixed(f.clientMessageId, CLIENT_MESSAGE_ID_BYTES);
      return groupIdField(w, f.groupId).bytes32(f.ciphertext, MAX_FRAME_PAYLOAD_BYTES).finish();
    }
    case FRAME.ACK:
      return groupIdField(new WireWriter(48).u8(f.type), f.groupId).u64(f.seq).finish();
    case FRAME.RESUME: {
      if (f.cursors.length > MAX_RESUME_GROUPS) throw new RangeError(`"cursors" more than ${MAX_RESUME_GROUPS}`);
      const w = new WireWriter(3 + f.cursors.length * 50).u8(f.type).u16(f.cursors.length);
      for (const c of f.cursors) groupIdField(w, c.groupId).u64(c.messageAfter).u64(c.logFrom);
      return w.finish();
    }
    case FRAME.PING:
      return new WireWriter(9).u8(f.type).u64(f.nonce).finish();
  }
}

const CLIENT_TYPES = [FRAME.AUTH, FRAME.SEND, FRAME.ACK, FRAME.RESUME, FRAME.PING];

/** Strict decoder; throws E2eeError(MALFORMED) naming the field. `maxCiphertext` caps SEND payloads. */
export function decodeClientFrame(bytes: Uint8Array, maxCiphertext = MAX_FRAME_PAYLOAD_BYTES): ClientFrame {
  if (bytes.length > 0 && bytes[0] === FRAME.SEND) {
    const fast = decodeSendFast(bytes, maxCiphertext);
    if (fast) return fast;
  }
  const r = new WireReader(bytes, 'ClientFrame');
  const type = r.enumU8('type', CLIENT_TYPES);
  let out: ClientFrame;
  switch (type) {
    case FRAME.AUTH:
      out = { type, token: r.fixed('token', SESSION_TOKEN_BYTES) };
      break;
    case FRAME.SEND: {
      const clientMessageId = r.fixed('clientMessageId', CLIENT_MESSAGE_ID_BYTES);
      const groupId = readGroupId(r);
      const ciphertext = r.bytes32('ciphertext', Math.min(maxCiphertext, MAX_FRAME_PAYLOAD_BYTES), 1);
      out = { type, clientMessageId, groupId, ciphertext };
      break;
    }
    case FRAME.ACK:
      out = { type, groupId: readGroupId(r), seq: r.u64('seq') };
      break;
    case FRAME.RESUME: {
      const n = r.u16('count');
      if (n > MAX_RESUME_GROUPS) r.fail('count', `more than ${MAX_RESUME_GROUPS}`);
      const cursors: ResumeCursor[] = [];
      for (let i = 0; i < n; i++) cursors.push({ groupId: readGroupId(r), messageAfter: r.u64('messageAfter'), logFrom: r.u64('logFrom') });
      out = { type, cursors };
      break;
    }
    default:
      out = { type: FRAME.PING, nonce: r.u64('nonce') };
  }
  r.end();
  return out;
}

/**
 * The hot path: a well-formed SEND decoded without copying (the fields are views into
 * `bytes`). Returns null for anything unusual, which the strict general decoder then
 * rejects with its precise message.
 */
function decodeSendFast(bytes: Uint8Array, maxCiphertext: number): ClientFrame | null {
  const n = bytes.length;
  if (n < 1 + CLIENT_MESSAGE_ID_BYTES + 1) return null;
  const gl = bytes[17]!;
  if (gl < 1 || gl > MAX_GROUP_ID_BYTES) return null;
  const lenAt = 18 + gl;
  if (lenAt + 4 > n) return null;
  const len = ((bytes[lenAt]! << 24) >>> 0) + (bytes[lenAt + 1]! << 16) + (bytes[lenAt + 2]! << 8) + bytes[lenAt + 3]!;
  if (len < 1 || len > Math.min(maxCiphertext, MAX_FRAME_PAYLOAD_BYTES) || lenAt + 4 + len !== n) return null;
  return {
    type: FRAME.SEND,
    clientMessageId: bytes.subarray(1, 17),
    groupId: bytes.subarray(18, 18 + gl),
    ciphertext: bytes.subarray(lenAt + 4, n),
  };
}

// --- relay -> device ---------------------------------------------------------

function putU64(out: Uint8Array, at: number, v: number): void {
  const hi = Math.floor(v / 0x100000000);
  const lo = v >>> 0;
  out[at] = hi >>> 24;
  out[at + 1] = (hi >>> 16) & 0xff;
  out[at + 2] = (hi >>> 8) & 0xff;
  out[at + 3] = hi & 0xff;
  out[at + 4] = lo >>> 24;
  out[at + 5] = (lo >>> 16) & 0xff;
  out[at + 6] = (lo >>> 8) & 0xff;
  out[at + 7] = lo & 0xff;
}

function checkU64(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`"${name}" value out of range 0..${Number.MAX_SAFE_INTEGER}: ${String(v)}`);
}

/** MESSAGE, encoded directly into one exact-size buffer (fan-out hot path). */
function encodeMessageFrame(f: Extract<RelayFrame, { type: typeof FRAME.MESSAGE }>): Uint8Array {
  const g = f.groupId;
  if (g.length < 1 || g.length > MAX_GROUP_ID_BYTES) throw new RangeError(`"groupId" expected 1..${MAX_GROUP_ID_BYTES} bytes`);
  assertBytes('sender', f.sender, MEMBER_ID_BYTES);
  const ct = f.ciphertext;
  if (ct.length > MAX_FRAME_PAYLOAD_BYTES) throw new RangeError('"ciphertext" exceeds the frame cap');
  checkU64('seq', f.seq);
  checkU64('epoch', f.epoch);
  checkU64('sentAt', f.sentAt);
  const out = new Uint8Array(2 + g.length + 8 + 32 + 8 + 8 + 4 + ct.length);
  out[0] = FRAME.MESSAGE;
  out[1] = g.length;
  out.set(g, 2);
  let o = 2 + g.length;
  putU64(out, o, f.seq);
  out.set(f.sender, o + 8);
  putU64(out, o + 40, f.epoch);
  putU64(out, o + 48, f.sentAt);
  o += 56;
  out[o] = ct.length >>> 24;
  out[o + 1] = (ct.length >>> 16) & 0xff;
  out[o + 2] = (ct.length >>> 8) & 0xff;
  out[o + 3] = ct.length & 0xff;
  out.set(ct, o + 4);
  return out;
}

/** SEND_OK, encoded directly (one per send). */
function encodeSendOkFrame(f: Extract<RelayFrame, { type: typeof FRAME.SEND_OK }>): Uint8Array {
  const g = f.groupId;
  if (g.length < 1 || g.length > MAX_GROUP_ID_BYTES) throw new RangeError(`"groupId" expected 1..${MAX_GROUP_ID_BYTES} bytes`);
  assertBytes('clientMessageId', f.clientMessageId, CLIENT_MESSAGE_ID_BYTES);
  checkU64('seq', f.seq);
  const out = new Uint8Array(1 + 16 + 1 + g.length + 8 + 1);
  out[0] = FRAME.SEND_OK;
  out.set(f.clientMessageId, 1);
  out[17] = g.length;
  out.set(g, 18);
  putU64(out, 18 + g.length, f.seq);
  out[26 + g.length] = f.duplicate ? 1 : 0;
  return out;
}

/** LOG_ENTRY, encoded directly (a kick sends the entry to every remaining member). */
function encodeLogEntryFrame(f: Extract<RelayFrame, { type: typeof FRAME.LOG_ENTRY }>): Uint8Array {
  const g = f.groupId;
  if (g.length < 1 || g.length > MAX_GROUP_ID_BYTES) throw new RangeError(`"groupId" expected 1..${MAX_GROUP_ID_BYTES} bytes`);
  assertBytes('entry', f.entry);
  assertBytes('envelope', f.envelope);
  if (f.entry.length > MAX_FRAME_PAYLOAD_BYTES || f.envelope.length > MAX_FRAME_PAYLOAD_BYTES) throw new RangeError('"entry" or "envelope" exceeds the frame cap');
  checkU64('index', f.index);
  const out = new Uint8Array(2 + g.length + 8 + 4 + f.entry.length + 4 + f.envelope.length);
  out[0] = FRAME.LOG_ENTRY;
  out[1] = g.length;
  out.set(g, 2);
  let o = 2 + g.length;
  putU64(out, o, f.index);
  o += 8;
  for (const part of [f.entry, f.envelope]) {
    out[o] = part.length >>> 24;
    out[o + 1] = (part.length >>> 16) & 0xff;
    out[o + 2] = (part.length >>> 8) & 0xff;
    out[o + 3] = part.length & 0xff;
    out.set(part, o + 4);
    o += 4 + part.length;
  }
  return out;
}

export function encodeRelayFrame(f: RelayFrame): Uint8Array {
  switch (f.type) {
    case FRAME.READY:
      return new WireWriter(37).u8(f.type).fixed(f.memberId, MEMBER_ID_BYTES).u32(f.heartbeatMs).finish();
    case FRAME.SEND_OK:
      return encodeSendOkFrame(f);
    case FRAME.MESSAGE:
      return encodeMessageFrame(f);
    case FRAME.LOG_ENTRY:
      return encodeLogEntryFrame(f);
    case FRAME.ERROR: {
      const detail = asciiBytes(f.detail);
      return new WireWriter(20 + detail.length)
        .u8(f.type)
        .u16(f.code)
        .fixed(f.clientMessageId, CLIENT_MESSAGE_ID_BYTES)
        .bytes8(detail, MAX_ERROR_DETAIL_BYTES)
        .finish();
    }
    case FRAME.PONG:
      return new WireWriter(9).u8(f.type).u64(f.nonce).finish();
    case FRAME.CAUGHT_UP:
      return groupIdField(new WireWriter(52).u8(f.type), f.groupId).u64(f.messageSeq).u64(f.logLength).finish();
    case FRAME.REMOVED:
      return groupIdField(new WireWriter(36).u8(f.type), f.groupId).finish();
    case FRAME.JOIN_REQUEST:
      return groupIdField(new WireWriter(44).u8(f.type), f.groupId).u64(f.requestId).finish();
  }
}

const RELAY_TYPES = [
  FRAME.READY,
  FRAME.SEND_OK,
  FRAME.MESSAGE,
  FRAME.LOG_ENTRY,
  FRAME.ERROR,
  FRAME.PONG,
  FRAME.CAUGHT_UP,
  FRAME.REMOVED,
  FRAME.JOIN_REQUEST,
];

export function decodeRelayFrame(bytes: Uint8Array): RelayFrame {
  const r = new WireReader(bytes, 'RelayFrame');
  const type = r.enumU8('type', RELAY_TYPES);
  let out: RelayFrame;
  switch (type) {
    case FRAME.READY:
      out = { type, memberId: r.fixed('memberId', MEMBER_ID_BYTES), heartbeatMs: r.u32('heartbeatMs') };
      break;
    case FRAME.SEND_OK: {
      const clientMessageId = r.fixed('clientMessageId', CLIENT_MESSAGE_ID_BYTES);
      const groupId = readGroupId(r);
      const seq = r.u64('seq');
      const dup = r.enumU8('duplicate', [0, 1]);
      out = { type, clientMessageId, groupId, seq, duplicate: dup === 1 };
      break;
    }
    case FRAME.MESSAGE:
      out = {
        type,
        groupId: readGroupId(r),
        seq: r.u64('seq'),
        sender: r.fixed('sender', MEMBER_ID_BYTES),
        epoch: r.u64('epoch'),
        sentAt: r.u64('sentAt'),
        ciphertext: r.bytes32('ciphertext', MAX_FRAME_PAYLOAD_BYTES, 1),
      };
      break;
    case FRAME.LOG_ENTRY:
      out = {
        type,
        groupId: readGroupId(r),
        index: r.u64('index'),
        entry: r.bytes32('entry', MAX_FRAME_PAYLOAD_BYTES, 1),
        envelope: r.bytes32('envelope', MAX_FRAME_PAYLOAD_BYTES),
      };
      break;
    case FRAME.ERROR: {
      const code = r.u16('code');
      const clientMessageId = r.fixed('clientMessageId', CLIENT_MESSAGE_ID_BYTES);
      const raw = r.bytes8('detail', MAX_ERROR_DETAIL_BYTES);
      for (const b of raw) if (b < 0x20 || b > 0x7e) r.fail('detail', 'not printable ASCII');
      out = { type, code, clientMessageId, detail: String.fromCharCode(...raw) };
      break;
    }
    case FRAME.PONG:
      out = { type, nonce: r.u64('nonce') };
      break;
    case FRAME.CAUGHT_UP:
      out = { type, groupId: readGroupId(r), messageSeq: r.u64('messageSeq'), logLength: r.u64('logLength') };
      break;
    case FRAME.REMOVED:
      out = { type, groupId: readGroupId(r) };
      break;
    default:
      out = { type: FRAME.JOIN_REQUEST, groupId: readGroupId(r), requestId: r.u64('requestId') };
  }
  r.end();
  return out;
}

/** An ERROR frame; `detail` is printable ASCII, never content or IDs. */
export function errorFrame(code: number, detail: string, clientMessageId: Uint8Array = NO_CLIENT_ID): Uint8Array {
  return encodeRelayFrame({ type: FRAME.ERROR, code, clientMessageId, detail });
}

function asciiBytes(s: string): Uint8Array {
  const n = Math.min(s.length, MAX_ERROR_DETAIL_BYTES);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    out[i] = c >= 0x20 && c <= 0x7e ? c : 0x3f;
  }
  return out;
}
