// A synchronous RandomSource served from a pool that an asynchronous source fills.
//
// crypto/ takes randomness synchronously (RandomSource), but the mini program's only
// secure source, wx.getRandomValues (base library 2.15.0+), answers through a callback
// and gives at most 1 MiB per call. The pool is filled before the SDK starts
// (`await pool.ready()`), topped up in the background whenever it falls below the
// low-water mark, and THROWS E2eeError(E2E_ERR_RANDOM_FAILED) when a request cannot be
// served: it never falls back to Math.random or any other weak source.
// Bytes are served once: the pool wipes what it hands out and what the source gave it.
import { E2eeError, RANDOM_FAILED } from '../../../crypto/src/errors';
import type { RandomSource } from '../../../crypto/src/primitives/types';

/** wx.getRandomValues refuses more than this per call. */
export const WX_MAX_RANDOM_BYTES_PER_CALL = 1024 * 1024;

export interface EntropyPoolOptions {
  /** Returns exactly `length` secure random bytes (e.g. from wx.getRandomValues). */
  fill: (length: number) => Promise<Uint8Array>;
  /** Bytes the pool holds when full. Default 64 KiB (a 500-member rotate needs ~16 KiB). */
  capacity?: number;
  /** A background refill starts when fewer bytes than this remain. Default capacity / 2. */
  lowWater?: number;
  /** Largest request to `fill` at once. Default 64 KiB; at most 1 MiB (wx's cap). */
  maxFillBytes?: number;
  /** Told when a background refill fails (the pool throws on requests it cannot serve). */
  onFillError?: (error: Error) => void;
}

export interface EntropyPool {
  /** Synchronous source for crypto/: throws E2E_ERR_RANDOM_FAILED rather than serve short. */
  readonly random: RandomSource;
  /** Resolves once the pool is full; rejects when the source fails. */
  ready(): Promise<void>;
  /** Tops the pool up now (one refill at a time; concurrent calls share it). */
  refill(): Promise<void>;
  /** Bytes ready to serve. */
  available(): number;
  /** Wipes the pool; every later request throws. */
  close(): void;
}

function positiveInt(name: string, value: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new TypeError(`"${name}" expected an integer`);
  if (value < 1 || value > max) throw new RangeError(`"${name}" expected 1..${max}, got ${value}`);
  return value;
}

export function createEntropyPool(options: EntropyPoolOptions): EntropyPool {
  if (!options || typeof options.fill !== 'function') throw new TypeError('"fill" expected a function');
  const capacity = positiveInt('capacity', options.capacity ?? 64 * 1024, 64 * 1024 * 1024);
  const lowWater = positiveInt('lowWater', options.lowWater ?? Math.floor(capacity / 2), capacity);
  const maxFill = positiveInt('maxFillBytes', options.maxFillBytes ?? 64 * 1024, WX_MAX_RANDOM_BYTES_PER_CALL);
  const fill = options.fill;

  const pool = new Uint8Array(capacity);
  let start = 0; // next byte to serve
  let end = 0; // one past the last filled byte
  let closed = false;
  let refilling: Promise<void> | null = null;

  const available = () => end - start;

  async function topUp(): Promise<void> {
    while (!closed && available() < capacity) {
      if (start > 0) {
        // Move what is left to the front and wipe the tail it came from.
        pool.copyWithin(0, start, end);
        pool.fill(0, end - start, end);
        end -= start;
        start = 0;
      }
      const want = Math.min(capacity - end, maxFill);
      const got = await fill(want);
      try {
        if (!(got instanceof Uint8Array) || got.length !== want) {
          throw new E2eeError(RANDOM_FAILED, 'the entropy source returned the wrong number of bytes', 'entropyPool.fill');
        }
        if (want >= 16 && got.every((b) => b === 0)) {
          throw new E2eeError(RANDOM_FAILED, 'the entropy source returned all zeros', 'entropyPool.fill');
        }
        if (closed) return;
        // Requests may have been served while we awaited: compact again before copying in.
        if (start > 0) {
          pool.copyWithin(0, start, end);
          pool.fill(0, end - start, end);
          end -= start;
          start = 0;
        }
        const take = Math.min(want, capacity - end);
        pool.set(got.subarray(0, take), end);
        end += take;
      } finally {
        if (got instanceof Uint8Array) got.fill(0);
      }
    }
  }

  function refill(): Promise<void> {
    if (closed) return Promise.reject(new E2eeError(RANDOM_FAILED, 'the entropy pool is closed', 'entropyPool.refill'));
    if (!refilling) {
      refilling = topUp().finally(() => {
        refilling = null;
      });
    }
    return refilling;
  }

  const random: RandomSource = (length) => {
    positiveInt('length', length, capacity);
    if (closed) throw new E2eeError(RANDOM_FAILED, 'the entropy pool is closed', 'entropyPool.random');
    if (available() < length) {
      refill().catch((e: Error) => options.onFillError?.(e));
      throw new E2eeError(RANDOM_FAILED, 'the entropy pool is empty; await pool.ready() and retry', 'entropyPool.random');
    }
    const out = pool.slice(start, start + length);
    pool.fill(0, start, start + length);
    start += length;
    if (available() < lowWater) refill().catch((e: Error) => options.onFillError?.(e));
    return out;
  };

  return {
    random,
    ready: refill,
    refill,
    available,
    close() {
      closed = true;
      pool.fill(0);
      start = end = 0;
    },
  };
}

/** The slice of the wx global the fill below needs (wx.getRandomValues, base library 2.15.0+). */
export interface WxRandomLike {
  getRandomValues(option: {
    length: number;
    success?: (result: { randomValues: ArrayBuffer }) => void;
    fail?: (error: { errMsg: string }) => void;
  }): void;
}

/** A `fill` for createEntropyPool backed by wx.getRandomValues. */
export function wxRandomFill(wxLike: WxRandomLike): (length: number) => Promise<Uint8Array> {
  return (length) =>
    new Promise((resolve, reject) => {
      if (length > WX_MAX_RANDOM_BYTES_PER_CALL) {
        reject(new RangeError(`"length" expected at most ${WX_MAX_RANDOM_BYTES_PER_CALL}`));
        return;
      }
      wxLike.getRandomValues({
        length,
        success: (r) => resolve(new Uint8Array(r.randomValues)),
        fail: () => reject(new E2eeError(RANDOM_FAILED, 'wx.getRandomValues failed', 'wxRandomFill')),
      });
    });
}
