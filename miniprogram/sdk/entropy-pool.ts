// An entropy pool: the mini program's synchronous RandomSource over an asynchronous CSPRNG.
//
// WeChat's logic layer has no crypto.getRandomValues; its only secure source is the
// asynchronous wx.getRandomValues (base library >= 2.15.0). The crypto core wants a
// synchronous RandomSource, so the pool is filled at launch (`ready()`), served
// synchronously (`take()`), and topped up asynchronously whenever it runs below the
// low-water mark. Bytes are handed out first-in first-out, exactly as delivered,
// and wiped from the pool once taken. When the pool runs dry it throws
// E2E_ERR_RANDOM_FAILED: there is never a fallback to Math.random or anything else.
import { assertInteger, isBytes, wipe } from '../../crypto/src/bytes';
import { E2eeError, RANDOM_FAILED } from '../../crypto/src/errors';

/** Asks the platform for `length` fresh random bytes. */
export type RandomRequester = (length: number) => Promise<Uint8Array>;

export interface EntropyPoolOptions {
  /** Where fresh bytes come from (wx.getRandomValues in the mini program). */
  request: RandomRequester;
  /** Bytes the pool holds when full. Default 64 KiB: a 500-member rotation takes ~16 KiB. */
  capacity?: number;
  /** A take that leaves fewer bytes than this starts an asynchronous top-up. Default capacity / 2. */
  lowWater?: number;
}

export const DEFAULT_POOL_CAPACITY = 64 * 1024;
/** Largest pool we allow: wx.getRandomValues serves 1 MiB per call; a pool needs far less. */
export const MAX_POOL_CAPACITY = 4 * 1024 * 1024;

export class EntropyPool {
  readonly capacity: number;
  readonly lowWater: number;
  readonly #request: RandomRequester;
  readonly #buffer: Uint8Array;
  #start = 0;
  #end = 0;
  #refill: Promise<void> | null = null;
  #lastFailure: unknown = null;

  constructor(options: EntropyPoolOptions) {
    if (!options || typeof options.request !== 'function') {
      throw new TypeError('"request" expected a function returning a Promise of random bytes');
    }
    this.capacity = assertInteger('capacity', options.capacity ?? DEFAULT_POOL_CAPACITY, 32, MAX_POOL_CAPACITY);
    this.lowWater = assertInteger('lowWater', options.lowWater ?? this.capacity >> 1, 0, this.capacity);
    this.#request = options.request;
    this.#buffer = new Uint8Array(this.capacity);
  }

  /** Bytes ready to be taken synchronously. */
  get available(): number {
    return this.#end - this.#start;
  }

  /** The error of the last failed top-up, cleared by the next successful one. Never contains random bytes. */
  get lastFailure(): unknown {
    return this.#lastFailure;
  }

  /** Fills the pool to capacity. Await it at launch before any crypto runs. */
  async ready(): Promise<void> {
    while (this.available < this.capacity) await this.#topUp();
  }

  /** Resolves once at least `length` bytes are available (for a caller about to do a big operation). */
  async ensure(length: number): Promise<void> {
    assertInteger('length', length, 0, this.capacity);
    while (this.available < length) await this.#topUp();
  }

  /**
   * Takes `length` bytes synchronously (the RandomSource of the crypto core).
   * Throws E2eeError(E2E_ERR_RANDOM_FAILED) when the pool holds fewer bytes.
   */
  take(length: number): Uint8Array {
    assertInteger('length', length, 0, this.capacity);
    if (length > this.available) {
      this.#startTopUp();
      throw new E2eeError(
        RANDOM_FAILED,
        `entropy pool has ${this.available} bytes, ${length} requested; await ensure() first`,
        'takeRandom',
      );
    }
    const out = this.#buffer.slice(this.#start, this.#start + length);
    wipe(this.#buffer.subarray(this.#start, this.#start + length));
    this.#start += length;
    if (this.available < this.lowWater) this.#startTopUp();
    return out;
  }

  /** A RandomSource bound to this pool, to hand to createPrimitives. */
  readonly randomSource = (length: number): Uint8Array => this.take(length);

  /** Starts a top-up in the background; its failure is kept in `lastFailure`, not thrown. */
  #startTopUp(): void {
    this.#topUp().catch(() => undefined);
  }

  /** One request for the missing bytes; concurrent callers share it. */
  #topUp(): Promise<void> {
    if (this.#refill) return this.#refill;
    const missing = this.capacity - this.available;
    if (missing === 0) return Promise.resolve();
    this.#refill = (async () => {
      try {
        const fresh = await this.#request(missing);
        if (!isBytes(fresh) || fresh.length !== missing) {
          throw new E2eeError(RANDOM_FAILED, 'random source returned the wrong type or length', 'fillEntropyPool');
        }
        this.#append(fresh);
        wipe(fresh);
        this.#lastFailure = null;
      } catch (error) {
        this.#lastFailure = error;
        throw error;
      } finally {
        this.#refill = null;
      }
    })();
    return this.#refill;
  }

  #append(fresh: Uint8Array): void {
    // Move the unread bytes to the front, then append; the pool never holds more than capacity.
    const unread = this.available;
    if (this.#start > 0) {
      this.#buffer.copyWithin(0, this.#start, this.#end);
      wipe(this.#buffer.subarray(unread, this.#end));
      this.#start = 0;
      this.#end = unread;
    }
    const room = this.capacity - this.#end;
    const n = Math.min(room, fresh.length);
    this.#buffer.set(fresh.subarray(0, n), this.#end);
    this.#end += n;
  }
}
