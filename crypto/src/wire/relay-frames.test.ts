import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isE2eeError } from '../errors';
import {
  decodeClientFrame,
  decodeRelayFrame,
  encodeClientFrame,
  encodeRelayFrame,
  errorFrame,
  FRAME,
  RELAY_ERROR,
  relayErrorName,
  type ClientFrame,
  type RelayFrame,
} from './relay-frames';

const gid = fc.uint8Array({ minLength: 1, maxLength: 32 });
const u64 = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const b = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

const clientFrame: fc.Arbitrary<ClientFrame> = fc.oneof(
  b(32).map((token) => ({ type: FRAME.AUTH, token })),
  fc.record({ clientMessageId: b(16), groupId: gid, ciphertext: fc.uint8Array({ minLength: 1, maxLength: 300 }) }).map((r) => ({ type: FRAME.SEND, ...r })),
  fc.record({ groupId: gid, seq: u64 }).map((r) => ({ type: FRAME.ACK, ...r })),
  fc.array(fc.record({ groupId: gid, messageAfter: u64, logFrom: u64 }), { maxLength: 5 }).map((cursors) => ({ type: FRAME.RESUME, cursors })),
  u64.map((nonce) => ({ type: FRAME.PING, nonce })),
) as fc.Arbitrary<ClientFrame>;

const relayFrame: fc.Arbitrary<RelayFrame> = fc.oneof(
  fc.record({ memberId: b(32), heartbeatMs: fc.integer({ min: 0, max: 0xffffffff }) }).map((r) => ({ type: FRAME.READY, ...r })),
  fc.record({ clientMessageId: b(16), groupId: gid, seq: u64, duplicate: fc.boolean() }).map((r) => ({ type: FRAME.SEND_OK, ...r })),
  fc
    .record({ groupId: gid, seq: u64, sender: b(32), epoch: u64, sentAt: u64, ciphertext: fc.uint8Array({ minLength: 1, maxLength: 200 }) })
    .map((r) => ({ type: FRAME.MESSAGE, ...r })),
  fc.record({ groupId: gid, index: u64, entry: fc.uint8Array({ minLength: 1, maxLength: 200 }), envelope: fc.uint8Array({ maxLength: 100 }) }).map((r) => ({ type: FRAME.LOG_ENTRY, ...r })),
  fc.record({ code: fc.integer({ min: 0, max: 0xffff }), clientMessageId: b(16), detail: fc.stringMatching(/^[ -~]{0,100}$/) }).map((r) => ({ type: FRAME.ERROR, ...r })),
  u64.map((nonce) => ({ type: FRAME.PONG, nonce })),
  fc.record({ groupId: gid, messageSeq: u64, logLength: u64 }).map((r) => ({ type: FRAME.CAUGHT_UP, ...r })),
  gid.map((groupId) => ({ type: FRAME.REMOVED, groupId })),
  fc.record({ groupId: gid, requestId: u64 }).map((r) => ({ type: FRAME.JOIN_REQUEST, ...r })),
) as fc.Arbitrary<RelayFrame>;

function expectMalformed(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(isE2eeError(e, 'E2E_ERR_MALFORMED')).toBe(true);
    return;
  }
  throw new Error('expected E2E_ERR_MALFORMED');
}

describe('relay frames', () => {
  it('client frames round-trip exactly', () => {
    fc.assert(fc.property(clientFrame, (f) => {
      expect(decodeClientFrame(encodeClientFrame(f))).toEqual(f);
    }), { numRuns: 300 });
  });

  it('relay frames round-trip exactly', () => {
    fc.assert(fc.property(relayFrame, (f) => {
      expect(decodeRelayFrame(encodeRelayFrame(f))).toEqual(f);
    }), { numRuns: 300 });
  });

  it('every truncation and every trailing byte is rejected with E2E_ERR_MALFORMED', () => {
    fc.assert(
      fc.property(clientFrame, (f) => {
        const bytes = encodeClientFrame(f);
        for (let n = 0; n < bytes.length; n++) expectMalformed(() => decodeClientFrame(bytes.subarray(0, n)));
        expectMalformed(() => decodeClientFrame(Uint8Array.of(...bytes, 0)));
      }),
      { numRuns: 60 },
    );
    fc.assert(
      fc.property(relayFrame, (f) => {
        const bytes = encodeRelayFrame(f);
        for (let n = 0; n < bytes.length; n++) expectMalformed(() => decodeRelayFrame(bytes.subarray(0, n)));
        expectMalformed(() => decodeRelayFrame(Uint8Array.of(...bytes, 0)));
      }),
      { numRuns: 60 },
    );
  });

  it('arbitrary bytes either decode to a frame that re-encodes identically or throw E2E_ERR_MALFORMED', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        for (const [dec, enc] of [
          [decodeClientFrame, encodeClientFrame],
          [decodeRelayFrame, encodeRelayFrame],
        ] as const) {
          let f;
          try {
            f = dec(bytes);
          } catch (e) {
            expect(isE2eeError(e, 'E2E_ERR_MALFORMED')).toBe(true);
            continue;
          }
          expect((enc as (x: unknown) => Uint8Array)(f)).toEqual(bytes);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects junk: unknown types, relay types sent as client frames, empty group IDs, oversize payloads', () => {
    const junk = [
      new Uint8Array(0),
      Uint8Array.of(0x00),
      Uint8Array.of(0x06),
      Uint8Array.of(0xff),
      Uint8Array.of(FRAME.READY, ...new Uint8Array(36)),
      Uint8Array.of(FRAME.ACK, 0, 0, 0, 0, 0, 0, 0, 0, 1), // empty group ID
      Uint8Array.of(FRAME.ACK, 33, ...new Uint8Array(33 + 8)), // group ID over 32 bytes
      Uint8Array.of(FRAME.RESUME, 0xff, 0xff), // count over the cap
      Uint8Array.of(FRAME.PING, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), // u64 over 2^53
    ];
    for (const j of junk) expectMalformed(() => decodeClientFrame(j));
    const send = encodeClientFrame({ type: FRAME.SEND, clientMessageId: new Uint8Array(16), groupId: new Uint8Array(16), ciphertext: new Uint8Array(1000) });
    expectMalformed(() => decodeClientFrame(send, 999));
    expect(decodeClientFrame(send, 1000).type).toBe(FRAME.SEND);
    // Error details must be printable ASCII.
    const err = errorFrame(RELAY_ERROR.STALE_EPOCH, 'epoch replaced');
    const bad = err.slice();
    bad[bad.length - 1] = 0x07;
    expectMalformed(() => decodeRelayFrame(bad));
  });

  it('error codes are stable and named', () => {
    expect(RELAY_ERROR.STALE_EPOCH).toBe(5);
    expect(relayErrorName(5)).toBe('STALE_EPOCH');
    expect(relayErrorName(999)).toBeUndefined();
    expect(new Set(Object.values(RELAY_ERROR)).size).toBe(Object.keys(RELAY_ERROR).length);
    const e = decodeRelayFrame(errorFrame(RELAY_ERROR.RATE_LIMITED, 'slow down \u00e9'));
    expect(e).toMatchObject({ type: FRAME.ERROR, code: 6, detail: 'slow down ?' });
  });
});
