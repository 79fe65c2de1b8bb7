// The byte format of fan-out events on the Redis channel (relay-to-relay only; clients never
// see it). Big-endian, crypto/'s wire codec:
//
//   event   = version u8 (1) || origin (8 bytes) || kind u8 || body
//   message = groupRef u64 || groupId bytes8 || seq u64 || sender bytes8 || epoch u64 || sentAt u64 || body bytes32
//   log     = groupRef u64 || groupId bytes8 || index u64 || u16 n || n x bytes8 (added) || u16 m || m x bytes8 (removed)
//   join    = groupRef u64 || groupId bytes8 || requestId u64
//   head    = groupRef u64 || groupId bytes8 || lastSeq u64 || logLength u64
//
// `origin` is the publishing instance's random ID: an instance ignores its own events.
import { WireReader, WireWriter } from '../../../crypto/src/wire/codec';
import type { FanoutEvent } from './types';

const VERSION = 1;
const KIND = { message: 1, log: 2, 'join-request': 3, head: 4 } as const;
export const ORIGIN_BYTES = 8;
/** Upper bound of a message body on the channel (the relay's largest frame is 16 MiB). */
const MAX_BODY = 16 * 1024 * 1024;
/** Members named in one log event at most (groups hold 500; a dissolve removes all). */
const MAX_MEMBERS = 4096;

export function encodeFanoutEvent(origin: Uint8Array, e: FanoutEvent): Uint8Array {
  const w = new WireWriter(e.kind === 'message' ? e.body.length + 128 : 128);
  w.u8(VERSION).fixed(origin, ORIGIN_BYTES).u8(KIND[e.kind]);
  switch (e.kind) {
    case 'message':
      w.u64(e.groupRef).bytes8(e.groupId).u64(e.seq).bytes8(e.sender).u64(e.epoch).u64(e.sentAt).bytes32(e.body, MAX_BODY);
      break;
    case 'log':
      w.u64(e.groupRef).bytes8(e.groupId).u64(e.index).u16(e.added.length);
      for (const m of e.added) w.bytes8(m);
      w.u16(e.removed.length);
      for (const m of e.removed) w.bytes8(m);
      break;
    case 'join-request':
      w.u64(e.groupRef).bytes8(e.groupId).u64(e.requestId);
      break;
    case 'head':
      w.u64(e.groupRef).bytes8(e.groupId).u64(e.lastSeq).u64(e.logLength);
      break;
  }
  return w.finish();
}

/** Decodes an event; E2eeError('E2E_ERR_MALFORMED') on anything else. */
export function decodeFanoutEvent(bytes: Uint8Array): { origin: Uint8Array; event: FanoutEvent } {
  const r = new WireReader(bytes, 'fanout event');
  const version = r.u8('version');
  if (version !== VERSION) r.fail('version', 'unsupported');
  const origin = r.fixed('origin', ORIGIN_BYTES);
  const kind = r.u8('kind');
  let event: FanoutEvent;
  const members = (field: string) => {
    const n = r.u16(field);
    if (n > MAX_MEMBERS) r.fail(field, 'too many');
    const out: Uint8Array[] = [];
    for (let i = 0; i < n; i++) out.push(r.bytes8(field, 64, 1));
    return out;
  };
  switch (kind) {
    case KIND.message:
      event = {
        kind: 'message',
        groupRef: r.u64('groupRef'),
        groupId: r.bytes8('groupId', 64, 1),
        seq: r.u64('seq'),
        sender: r.bytes8('sender', 64, 1),
        epoch: r.u64('epoch'),
        sentAt: r.u64('sentAt'),
        body: r.bytes32('body', MAX_BODY),
      };
      break;
    case KIND.log: {
      const groupRef = r.u64('groupRef');
      const groupId = r.bytes8('groupId', 64, 1);
      const index = r.u64('index');
      event = { kind: 'log', groupRef, groupId, index, added: members('added'), removed: members('removed') };
      break;
    }
    case KIND['join-request']:
      event = { kind: 'join-request', groupRef: r.u64('groupRef'), groupId: r.bytes8('groupId', 64, 1), requestId: r.u64('requestId') };
      break;
    case KIND.head:
      event = { kind: 'head', groupRef: r.u64('groupRef'), groupId: r.bytes8('groupId', 64, 1), lastSeq: r.u64('lastSeq'), logLength: r.u64('logLength') };
      break;
    default:
      return r.fail('kind', 'unknown');
  }
  r.end();
  return { origin, event };
}
