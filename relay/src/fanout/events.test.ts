import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFanoutEvent, encodeFanoutEvent } from './events';
import type { FanoutEvent } from './types';

const origin = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
const id = fc.uint8Array({ minLength: 1, maxLength: 32 });
const n = fc.nat({ max: Number.MAX_SAFE_INTEGER });
const event: fc.Arbitrary<FanoutEvent> = fc.oneof(
  fc.record({ kind: fc.constant('message' as const), groupRef: n, groupId: id, seq: n, sender: id, epoch: n, sentAt: n, body: fc.uint8Array({ maxLength: 300 }) }),
  fc.record({ kind: fc.constant('log' as const), groupRef: n, groupId: id, index: n, added: fc.array(id, { maxLength: 5 }), removed: fc.array(id, { maxLength: 5 }) }),
  fc.record({ kind: fc.constant('join-request' as const), groupRef: n, groupId: id, requestId: n }),
  fc.record({ kind: fc.constant('head' as const), groupRef: n, groupId: id, lastSeq: n, logLength: n }),
);

describe('fan-out events', () => {
  it('round-trip every kind', () => {
    fc.assert(
      fc.property(event, (e) => {
        const d = decodeFanoutEvent(encodeFanoutEvent(origin, e));
        expect(d.origin).toEqual(origin);
        expect(d.event).toEqual(e);
      }),
    );
  });

  it('reject truncation, trailing bytes, unknown versions and kinds, and junk with a typed error', () => {
    const good = encodeFanoutEvent(origin, { kind: 'head', groupRef: 1, groupId: Uint8Array.of(5), lastSeq: 2, logLength: 3 });
    const bad = [
      good.subarray(0, good.length - 1),
      Uint8Array.of(...good, 0),
      Uint8Array.of(2, ...good.subarray(1)),
      Uint8Array.of(...good.subarray(0, 9), 99, ...good.subarray(10)),
      new Uint8Array(0),
      new Uint8Array(64).fill(0xff),
    ];
    for (const b of bad) expect(() => decodeFanoutEvent(b)).toThrow(expect.objectContaining({ code: 'E2E_ERR_MALFORMED' }));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (junk) => {
        try {
          decodeFanoutEvent(junk);
        } catch (e) {
          expect((e as { code?: string }).code).toBe('E2E_ERR_MALFORMED');
        }
      }),
    );
  });
});
