import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isE2eeError } from '../errors';
import * as H from './http-bodies';

const b = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const u64 = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const some = (max: number) => fc.uint8Array({ minLength: 1, maxLength: max });

function expectMalformed(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(isE2eeError(e, 'E2E_ERR_MALFORMED')).toBe(true);
    return;
  }
  throw new Error('expected E2E_ERR_MALFORMED');
}

// [name, arbitrary, encode, decode]
const CASES: [string, fc.Arbitrary<unknown>, (x: never) => Uint8Array, (b: Uint8Array) => unknown][] = [
  ['AuthChallengeRequest', fc.record({ identityKey: b(32) }), H.encodeAuthChallengeRequest, H.decodeAuthChallengeRequest],
  ['AuthChallengeResponse', fc.record({ challenge: some(200) }), H.encodeAuthChallengeResponse, H.decodeAuthChallengeResponse],
  ['AuthSessionRequest', fc.record({ challenge: some(200), signature: b(64) }), H.encodeAuthSessionRequest, H.decodeAuthSessionRequest],
  ['AuthSessionResponse', fc.record({ token: b(32), memberId: b(32), expiresAt: u64 }), H.encodeAuthSessionResponse, H.decodeAuthSessionResponse],
  [
    'PrekeyUpload',
    fc.record({ signedPrekey: fc.uint8Array({ maxLength: 200 }), oneTimePrekeys: fc.array(fc.record({ id: fc.integer({ min: 0, max: 0xffffffff }), key: some(40) }), { maxLength: 5 }) }),
    H.encodePrekeyUpload,
    H.decodePrekeyUpload,
  ],
  ['LogAppendRequest', fc.record({ expectedHead: b(32), entry: some(300), envelopes: fc.array(some(100), { maxLength: 4 }) }), H.encodeLogAppendRequest, H.decodeLogAppendRequest],
  ['LogAppendResponse', fc.record({ index: u64, head: b(32), epoch: u64 }), H.encodeLogAppendResponse, H.decodeLogAppendResponse],
  ['LogPage', fc.record({ items: fc.array(fc.record({ index: u64, entry: some(100), envelope: fc.uint8Array({ maxLength: 50 }) }), { maxLength: 4 }), more: fc.boolean() }), H.encodeLogPage, H.decodeLogPage],
  [
    'MessagePage',
    fc.record({ items: fc.array(fc.record({ seq: u64, sender: b(32), epoch: u64, sentAt: u64, ciphertext: some(100) }), { maxLength: 4 }), more: fc.boolean() }),
    H.encodeMessagePage as (x: never) => Uint8Array,
    H.decodeMessagePage as (b: Uint8Array) => unknown,
  ],
  ['InviteCreateRequest', fc.record({ expiresAt: u64, maxUses: fc.integer({ min: 1, max: 0xffffffff }) }), H.encodeInviteCreateRequest, H.decodeInviteCreateRequest],
  [
    'JoinRequestList',
    fc.array(fc.record({ requestId: u64, inviteId: b(16), createdAt: u64, body: some(100) }), { maxLength: 4 }),
    H.encodeJoinRequestList,
    H.decodeJoinRequestList,
  ],
];

describe('HTTP bodies', () => {
  for (const [name, arb, enc, dec] of CASES) {
    it(`${name}: round-trips; truncations and trailing bytes are E2E_ERR_MALFORMED`, () => {
      fc.assert(
        fc.property(arb, (v) => {
          const bytes = enc(v as never);
          expect(dec(bytes)).toEqual(v);
          for (let n = 0; n < bytes.length; n += Math.max(1, bytes.length >> 4)) expectMalformed(() => dec(bytes.subarray(0, n)));
          expectMalformed(() => dec(Uint8Array.of(...bytes, 1)));
        }),
        { numRuns: 80 },
      );
    });
    it(`${name}: random bytes decode canonically or fail typed`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
          let v;
          try {
            v = dec(bytes);
          } catch (e) {
            expect(isE2eeError(e, 'E2E_ERR_MALFORMED')).toBe(true);
            return;
          }
          expect(enc(v as never)).toEqual(bytes);
        }),
        { numRuns: 300 },
      );
    });
  }

  it('caps counts before allocating', () => {
    expectMalformed(() => H.decodeLogAppendRequest(Uint8Array.of(...new Uint8Array(32), 0, 0, 0, 1, 7, 0xff, 0xff)));
    expectMalformed(() => H.decodeLogAppendRequest(Uint8Array.of(...new Uint8Array(32), 0xff, 0xff, 0xff, 0xff)));
    expectMalformed(() => H.decodeInviteCreateRequest(new Uint8Array(12))); // maxUses 0
    expectMalformed(() => H.decodeJoinRequestBody(new Uint8Array(0)));
    expectMalformed(() => H.decodeJoinRequestBody(new Uint8Array(H.MAX_JOIN_REQUEST_BYTES + 1)));
    expect(() => H.encodeLogAppendRequest({ expectedHead: new Uint8Array(32), entry: new Uint8Array(1), envelopes: new Array(501).fill(new Uint8Array(1)) })).toThrow(RangeError);
  });
});
