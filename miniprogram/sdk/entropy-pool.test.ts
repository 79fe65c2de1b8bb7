import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes } from '../../crypto/src/bytes';
import { isE2eeError } from '../../crypto/src/errors';
import { EntropyPool } from './entropy-pool';
import { WX_RANDOM_MAX_PER_CALL, wxRandomRequester, type WxRandomApi } from './wx-random';

/** A counter stream: byte i of the stream is (i * 7 + 3) & 255, so FIFO order is checkable. */
function countingSource() {
  let next = 0;
  const requests: number[] = [];
  const delivered: Uint8Array[] = [];
  const request = async (length: number) => {
    requests.push(length);
    await Promise.resolve();
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = ((next + i) * 7 + 3) & 255;
    next += length;
    delivered.push(out.slice());
    return out;
  };
  return { request, requests, delivered };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('EntropyPool', () => {
  it('is empty until ready(), then serves the delivered bytes first in first out', async () => {
    const src = countingSource();
    const pool = new EntropyPool({ request: src.request, capacity: 64 });
    expect(pool.available).toBe(0);
    expect(() => pool.take(1)).toThrow(/entropy pool has 0 bytes/);
    await pool.ready();
    expect(pool.available).toBe(64);
    const a = pool.take(10);
    const b = pool.take(20);
    expect(concatBytes(a, b)).toEqual(concatBytes(...src.delivered).subarray(0, 30));
  });

  it('throws E2E_ERR_RANDOM_FAILED when dry, never inventing bytes, and refills asynchronously', async () => {
    const src = countingSource();
    const pool = new EntropyPool({ request: src.request, capacity: 64, lowWater: 0 });
    await pool.ready();
    pool.take(60);
    let error: unknown;
    try {
      pool.take(5);
    } catch (e) {
      error = e;
    }
    expect(isE2eeError(error, 'E2E_ERR_RANDOM_FAILED')).toBe(true);
    expect(pool.available).toBe(4); // the failed take consumed nothing
    await flush();
    expect(pool.available).toBe(64);
    const stream = concatBytes(...src.delivered);
    expect(pool.take(64)).toEqual(stream.subarray(60, 124));
  });

  it('tops up in the background below the low-water mark, with one request in flight', async () => {
    const src = countingSource();
    const pool = new EntropyPool({ request: src.request, capacity: 100, lowWater: 50 });
    await pool.ready();
    pool.take(40);
    expect(src.requests).toEqual([100]);
    pool.take(20); // 40 left < 50: top-up starts
    pool.take(5); // still in flight: no second request
    expect(src.requests).toEqual([100, 60]);
    await flush();
    expect(pool.available).toBe(95);
    await pool.ensure(100);
    expect(pool.available).toBe(100);
  });

  it('ready() rejects when the source fails or answers with the wrong length', async () => {
    const failing = new EntropyPool({ request: () => Promise.reject(new Error('down')), capacity: 32 });
    await expect(failing.ready()).rejects.toThrow('down');
    expect(failing.available).toBe(0);
    const short = new EntropyPool({ request: async (n) => new Uint8Array(n - 1), capacity: 32 });
    await expect(short.ready()).rejects.toMatchObject({ code: 'E2E_ERR_RANDOM_FAILED' });
    const wrongType = new EntropyPool({ request: async (n) => Array.from({ length: n }, () => 1) as unknown as Uint8Array, capacity: 32 });
    await expect(wrongType.ready()).rejects.toMatchObject({ code: 'E2E_ERR_RANDOM_FAILED' });
  });

  it('wipes each delivered block once copied in, and hands the bytes out intact', async () => {
    const blocks: Uint8Array[] = [];
    const pool = new EntropyPool({
      request: async (n) => {
        const b = new Uint8Array(n).fill(0xaa);
        blocks.push(b);
        return b;
      },
      capacity: 32,
      lowWater: 0,
    });
    await pool.ready();
    expect(blocks[0]!.every((b) => b === 0)).toBe(true);
    const first = pool.take(32);
    expect(first.every((b) => b === 0xaa)).toBe(true);
    first.fill(0);
    expect(pool.take(0)).toEqual(new Uint8Array(0));
  });

  it('rejects bad options and bad lengths as caller bugs', () => {
    expect(() => new EntropyPool({} as never)).toThrow(TypeError);
    expect(() => new EntropyPool({ request: async () => new Uint8Array(0), capacity: 8 })).toThrow(RangeError);
    const pool = new EntropyPool({ request: async (n) => new Uint8Array(n), capacity: 32 });
    expect(() => pool.take(-1)).toThrow(RangeError);
    expect(() => pool.take(33)).toThrow(RangeError);
    expect(() => pool.take(1.5)).toThrow(TypeError);
  });

  it('property: any sequence of takes returns exactly the delivered stream, in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 48 }), { maxLength: 40 }), fc.integer({ min: 32, max: 96 }), async (takes, capacity) => {
        const src = countingSource();
        const pool = new EntropyPool({ request: src.request, capacity });
        await pool.ready();
        const got: Uint8Array[] = [];
        for (const n of takes) {
          const length = Math.min(n, capacity);
          await pool.ensure(length);
          got.push(pool.take(length));
        }
        const out = concatBytes(...got);
        expect(out).toEqual(concatBytes(...src.delivered).subarray(0, out.length));
      }),
      { numRuns: 60 },
    );
  });
});

describe('wxRandomRequester', () => {
  function fakeWx(answer: (length: number) => { ok: true; buffer: unknown } | { ok: false; errMsg: string }) {
    const calls: number[] = [];
    const api: WxRandomApi = {
      getRandomValues(option) {
        calls.push(option.length);
        const a = answer(option.length);
        setTimeout(() => (a.ok ? option.success?.({ randomValues: a.buffer as ArrayBuffer }) : option.fail?.({ errMsg: a.errMsg })), 0);
      },
    };
    return { api, calls };
  }

  it('splits requests above 1 MiB into calls of at most 1 MiB', async () => {
    const { api, calls } = fakeWx((n) => ({ ok: true, buffer: new Uint8Array(n).fill(n & 255).buffer }));
    const out = await wxRandomRequester(api)(WX_RANDOM_MAX_PER_CALL * 2 + 5);
    expect(calls).toEqual([WX_RANDOM_MAX_PER_CALL, WX_RANDOM_MAX_PER_CALL, 5]);
    expect(out.length).toBe(WX_RANDOM_MAX_PER_CALL * 2 + 5);
    expect(out[out.length - 1]).toBe(5);
  });

  it('turns fail, a short buffer or a non-ArrayBuffer into E2E_ERR_RANDOM_FAILED', async () => {
    await expect(wxRandomRequester(fakeWx(() => ({ ok: false, errMsg: 'getRandomValues:fail' })).api)(8)).rejects.toMatchObject({
      code: 'E2E_ERR_RANDOM_FAILED',
    });
    await expect(wxRandomRequester(fakeWx((n) => ({ ok: true, buffer: new ArrayBuffer(n - 1) })).api)(8)).rejects.toMatchObject({
      code: 'E2E_ERR_RANDOM_FAILED',
    });
    await expect(wxRandomRequester(fakeWx((n) => ({ ok: true, buffer: new Uint8Array(n) })).api)(8)).rejects.toMatchObject({
      code: 'E2E_ERR_RANDOM_FAILED',
    });
    const throwing: WxRandomApi = {
      getRandomValues() {
        throw new Error('not supported');
      },
    };
    await expect(wxRandomRequester(throwing)(8)).rejects.toMatchObject({ code: 'E2E_ERR_RANDOM_FAILED' });
    expect(() => wxRandomRequester({} as WxRandomApi)).toThrow(TypeError);
  });
});
