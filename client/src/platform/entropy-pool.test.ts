import { randomFillSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isE2eeError, RANDOM_FAILED } from '../../../crypto/src/errors';
import { createEntropyPool, wxRandomFill, WX_MAX_RANDOM_BYTES_PER_CALL } from './entropy-pool';

/** A source that counts out bytes 1, 2, 3, ... (mod 256, skipping 0) so every served byte is traceable. */
function countingSource(log: number[] = []) {
  let next = 0;
  return {
    log,
    fill: async (n: number) => {
      log.push(n);
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = (next++ % 255) + 1;
      return out;
    },
  };
}

const isRandomFailed = (e: unknown) => isE2eeError(e, RANDOM_FAILED);

describe('entropy pool', () => {
  it('throws a typed error before the first fill, and never calls Math.random', () => {
    const original = Math.random;
    Math.random = () => {
      throw new Error('Math.random must not be used');
    };
    try {
      const pool = createEntropyPool({ fill: countingSource().fill, capacity: 64 });
      expect(() => pool.random(8)).toThrow(expect.objectContaining({ code: RANDOM_FAILED }));
    } finally {
      Math.random = original;
    }
  });

  it('serves every source byte exactly once, in order, across refills', async () => {
    const src = countingSource();
    const pool = createEntropyPool({ fill: src.fill, capacity: 100, lowWater: 40, maxFillBytes: 30 });
    await pool.ready();
    expect(pool.available()).toBe(100);
    expect(src.log).toEqual([30, 30, 30, 10]); // chunked by maxFillBytes
    const served: number[] = [];
    for (let round = 0; round < 20; round++) {
      try {
        served.push(...pool.random(7));
      } catch (e) {
        expect(isRandomFailed(e)).toBe(true);
      }
      await pool.refill();
    }
    expect(served.length).toBe(140);
    served.forEach((b, i) => expect(b).toBe((i % 255) + 1));
  });

  it('refills in the background once below the low-water mark', async () => {
    const src = countingSource();
    const pool = createEntropyPool({ fill: src.fill, capacity: 64, lowWater: 32 });
    await pool.ready();
    const fills = src.log.length;
    pool.random(16);
    expect(src.log.length).toBe(fills); // still above low water: no refill
    pool.random(20); // 28 left < 32
    expect(src.log.length).toBe(fills + 1);
    await pool.refill();
    expect(pool.available()).toBe(64);
  });

  it('throws when drained rather than serving short, then recovers after a refill', async () => {
    const pool = createEntropyPool({ fill: countingSource().fill, capacity: 32, lowWater: 1 });
    await pool.ready();
    pool.random(30);
    expect(() => pool.random(8)).toThrow(expect.objectContaining({ code: RANDOM_FAILED }));
    await pool.refill();
    expect(pool.random(8).length).toBe(8);
  });

  it('treats a failing, short or all-zero source as exhaustion, and reports background failures', async () => {
    const errors: Error[] = [];
    let mode: 'fail' | 'short' | 'zero' | 'ok' = 'fail';
    const pool = createEntropyPool({
      capacity: 32,
      onFillError: (e) => errors.push(e),
      fill: async (n) => {
        if (mode === 'fail') throw new Error('platform refused');
        if (mode === 'short') return new Uint8Array(n - 1).fill(7);
        if (mode === 'zero') return new Uint8Array(n);
        return new Uint8Array(n).fill(9);
      },
    });
    await expect(pool.ready()).rejects.toThrow('platform refused');
    mode = 'short';
    await expect(pool.ready()).rejects.toSatisfy(isRandomFailed);
    mode = 'zero';
    await expect(pool.ready()).rejects.toSatisfy(isRandomFailed);
    expect(pool.available()).toBe(0);
    expect(() => pool.random(1)).toThrow(expect.objectContaining({ code: RANDOM_FAILED }));
    await new Promise((r) => setTimeout(r, 0));
    expect(errors.length).toBe(1);
    mode = 'ok';
    await pool.ready();
    expect(pool.random(4)).toEqual(new Uint8Array([9, 9, 9, 9]));
  });

  it('wipes the buffers the source returned and refuses everything after close', async () => {
    const given: Uint8Array[] = [];
    const pool = createEntropyPool({
      capacity: 16,
      fill: async (n) => {
        const b = new Uint8Array(n);
        randomFillSync(b);
        given.push(b);
        return b;
      },
    });
    await pool.ready();
    expect(given.every((b) => b.every((x) => x === 0))).toBe(true);
    pool.close();
    expect(pool.available()).toBe(0);
    expect(() => pool.random(1)).toThrow(expect.objectContaining({ code: RANDOM_FAILED }));
    await expect(pool.refill()).rejects.toSatisfy(isRandomFailed);
  });

  it('concurrent refills share one fill at a time', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const pool = createEntropyPool({
      capacity: 64,
      maxFillBytes: 16,
      fill: async (n) => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        await new Promise((r) => setTimeout(r, 1));
        inFlight--;
        return new Uint8Array(n).fill(5);
      },
    });
    await Promise.all([pool.ready(), pool.refill(), pool.refill()]);
    expect(maxInFlight).toBe(1);
    expect(pool.available()).toBe(64);
  });

  it('rejects bad options and request sizes', () => {
    const fill = countingSource().fill;
    expect(() => createEntropyPool({} as never)).toThrow(TypeError);
    expect(() => createEntropyPool({ fill, capacity: 0 })).toThrow(RangeError);
    expect(() => createEntropyPool({ fill, capacity: 10, lowWater: 11 })).toThrow(/lowWater/);
    expect(() => createEntropyPool({ fill, maxFillBytes: WX_MAX_RANDOM_BYTES_PER_CALL + 1 })).toThrow(/maxFillBytes/);
    const pool = createEntropyPool({ fill, capacity: 10 });
    expect(() => pool.random(11)).toThrow(RangeError);
    expect(() => pool.random(1.5)).toThrow(TypeError);
  });

  it('wxRandomFill adapts wx.getRandomValues and respects its 1 MiB cap', async () => {
    const calls: number[] = [];
    const wxLike = {
      getRandomValues(o: { length: number; success?: (r: { randomValues: ArrayBuffer }) => void; fail?: (e: { errMsg: string }) => void }) {
        calls.push(o.length);
        if (o.length === 3) setTimeout(() => o.fail?.({ errMsg: 'getRandomValues:fail' }));
        else setTimeout(() => o.success?.({ randomValues: new Uint8Array(o.length).fill(1).buffer }));
      },
    };
    const fill = wxRandomFill(wxLike);
    expect(await fill(5)).toEqual(new Uint8Array(5).fill(1));
    await expect(fill(3)).rejects.toSatisfy(isRandomFailed);
    await expect(fill(WX_MAX_RANDOM_BYTES_PER_CALL + 1)).rejects.toThrow(RangeError);
    expect(calls).toEqual([5, 3]);
  });
});
