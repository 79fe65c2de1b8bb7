// The prekey-bundles bodies of http-bodies.ts (POST /v1/groups/{groupId}/prekey-bundles).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../bytes';
import { isE2eeError } from '../errors';
import {
  decodePrekeyBundlesRequest,
  decodePrekeyBundlesResponse,
  encodePrekeyBundlesRequest,
  encodePrekeyBundlesResponse,
  MAX_PREKEY_BUNDLES_PER_REQUEST,
  MAX_SIGNED_PREKEY_BYTES,
} from './http-bodies';

function expectMalformed(fn: () => unknown): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(isE2eeError(caught, 'E2E_ERR_MALFORMED')).toBe(true);
}

/** Distinct 32-byte IDs, ascending. */
const ids = (min: number, max: number) =>
  fc
    .uniqueArray(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: min, maxLength: max, selector: (x) => bytesToHex(x) })
    .map((xs) => xs.sort((a, b) => (bytesToHex(a) < bytesToHex(b) ? -1 : 1)));

const id = (byte: number) => new Uint8Array(32).fill(byte);
const requestBytes = (count: number, list: Uint8Array[]) => Uint8Array.of(count >> 8, count & 0xff, ...list.flatMap((x) => [...x]));

/** Random bytes either decode to a value that encodes back to the same bytes, or fail as E2E_ERR_MALFORMED. */
function canonicalOrMalformed<T>(decode: (b: Uint8Array) => T, encode: (v: T) => Uint8Array, maxLength: number): void {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength }), (bytes) => {
      let v: T;
      try {
        v = decode(bytes);
      } catch (e) {
        expect(isE2eeError(e, 'E2E_ERR_MALFORMED')).toBe(true);
        return;
      }
      expect(encode(v)).toEqual(bytes);
    }),
    { numRuns: 300 },
  );
}

describe('PrekeyBundlesRequest', () => {
  it('round-trips; truncations and trailing bytes are E2E_ERR_MALFORMED', () => {
    fc.assert(
      fc.property(ids(1, 12), (memberIds) => {
        const bytes = encodePrekeyBundlesRequest({ memberIds });
        expect(bytes.length).toBe(2 + 32 * memberIds.length);
        expect(decodePrekeyBundlesRequest(bytes)).toEqual({ memberIds });
        for (let n = 0; n < bytes.length; n += 7) expectMalformed(() => decodePrekeyBundlesRequest(bytes.subarray(0, n)));
        expectMalformed(() => decodePrekeyBundlesRequest(Uint8Array.of(...bytes, 0)));
      }),
      { numRuns: 60 },
    );
  });

  it('random bytes decode canonically or fail typed', () => {
    canonicalOrMalformed(decodePrekeyBundlesRequest, encodePrekeyBundlesRequest, 140);
  });

  it('refuses an empty list, more than the cap, duplicates and descending IDs', () => {
    expectMalformed(() => decodePrekeyBundlesRequest(Uint8Array.of(0, 0)));
    const many = Array.from({ length: MAX_PREKEY_BUNDLES_PER_REQUEST + 1 }, (_, i) => Uint8Array.of(...new Uint8Array(31), i));
    expectMalformed(() => decodePrekeyBundlesRequest(requestBytes(many.length, many)));
    // The count is checked before anything is read: a huge count with no IDs fails at once.
    expectMalformed(() => decodePrekeyBundlesRequest(Uint8Array.of(0xff, 0xff)));
    expectMalformed(() => decodePrekeyBundlesRequest(requestBytes(2, [id(1), id(1)])));
    expectMalformed(() => decodePrekeyBundlesRequest(requestBytes(2, [id(2), id(1)])));
    expect(decodePrekeyBundlesRequest(requestBytes(2, [id(1), id(2)])).memberIds).toEqual([id(1), id(2)]);
    const cap = many.slice(0, MAX_PREKEY_BUNDLES_PER_REQUEST);
    expect(decodePrekeyBundlesRequest(requestBytes(cap.length, cap)).memberIds).toHaveLength(MAX_PREKEY_BUNDLES_PER_REQUEST);
  });

  it('the encoder refuses caller bugs with RangeError', () => {
    expect(() => encodePrekeyBundlesRequest({ memberIds: [] })).toThrow(RangeError);
    expect(() => encodePrekeyBundlesRequest({ memberIds: Array.from({ length: 101 }, (_, i) => Uint8Array.of(...new Uint8Array(31), i)) })).toThrow(RangeError);
    expect(() => encodePrekeyBundlesRequest({ memberIds: [id(3), id(3)] })).toThrow(RangeError);
    expect(() => encodePrekeyBundlesRequest({ memberIds: [id(3), id(2)] })).toThrow(RangeError);
    expect(() => encodePrekeyBundlesRequest({ memberIds: [new Uint8Array(31)] })).toThrow(RangeError);
  });
});

describe('PrekeyBundlesResponse', () => {
  const items = (min: number, max: number) =>
    ids(min, max).chain((memberIds) =>
      fc.tuple(...memberIds.map(() => fc.uint8Array({ minLength: 1, maxLength: 180 }))).map((bundles) => memberIds.map((memberId, i) => ({ memberId, bundle: bundles[i]! }))),
    );

  it('round-trips (an empty answer too); truncations and trailing bytes are E2E_ERR_MALFORMED', () => {
    fc.assert(
      fc.property(items(0, 6), (list) => {
        const bytes = encodePrekeyBundlesResponse(list);
        expect(decodePrekeyBundlesResponse(bytes)).toEqual(list);
        for (let n = 0; n < bytes.length; n += 11) expectMalformed(() => decodePrekeyBundlesResponse(bytes.subarray(0, n)));
        expectMalformed(() => decodePrekeyBundlesResponse(Uint8Array.of(...bytes, 0)));
      }),
      { numRuns: 60 },
    );
  });

  it('random bytes decode canonically or fail typed', () => {
    canonicalOrMalformed(decodePrekeyBundlesResponse, encodePrekeyBundlesResponse, 160);
  });

  it('refuses more than the cap, repeated or unordered members, empty and oversize bundles', () => {
    const item = (b: number, len = 10) => [...id(b), len >> 8, len & 0xff, ...new Uint8Array(len)];
    expectMalformed(() => decodePrekeyBundlesResponse(Uint8Array.of(0, MAX_PREKEY_BUNDLES_PER_REQUEST + 1)));
    expectMalformed(() => decodePrekeyBundlesResponse(Uint8Array.of(0, 2, ...item(1), ...item(1))));
    expectMalformed(() => decodePrekeyBundlesResponse(Uint8Array.of(0, 2, ...item(2), ...item(1))));
    expectMalformed(() => decodePrekeyBundlesResponse(Uint8Array.of(0, 1, ...item(1, 0))));
    expectMalformed(() => decodePrekeyBundlesResponse(Uint8Array.of(0, 1, ...item(1, MAX_SIGNED_PREKEY_BYTES + 1))));
    expect(decodePrekeyBundlesResponse(Uint8Array.of(0, 2, ...item(1), ...item(2))).map((x) => x.memberId)).toEqual([id(1), id(2)]);
    expect(() => encodePrekeyBundlesResponse([{ memberId: id(2), bundle: new Uint8Array(1) }, { memberId: id(1), bundle: new Uint8Array(1) }])).toThrow(RangeError);
  });
});
