// wx.getRandomValues as a Promise-returning RandomRequester for the entropy pool.
//
// WeChat delivers at most 1 MiB per call (base library >= 2.15.0), as an ArrayBuffer,
// through success/fail callbacks. Larger requests are split; a short or missing
// answer is an error, never padded.
import { assertInteger } from '../../crypto/src/bytes';
import { E2eeError, RANDOM_FAILED } from '../../crypto/src/errors';
import type { RandomRequester } from './entropy-pool';

/** The one wx call this module needs (so tests and the sandbox can supply their own wx). */
export interface WxRandomApi {
  getRandomValues(option: {
    length: number;
    success?: (result: { randomValues: ArrayBuffer; errMsg?: string }) => void;
    fail?: (error: { errMsg?: string }) => void;
  }): void;
}

/** wx.getRandomValues' documented maximum per call. */
export const WX_RANDOM_MAX_PER_CALL = 1024 * 1024;

function isArrayBuffer(value: unknown): value is ArrayBuffer {
  // Cross-realm safe (the logic layer and a test sandbox have their own ArrayBuffer).
  return Object.prototype.toString.call(value) === '[object ArrayBuffer]';
}

function requestOnce(api: WxRandomApi, length: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const failed = (why: string) =>
      reject(new E2eeError(RANDOM_FAILED, `wx.getRandomValues failed: ${why}`, 'wxGetRandomValues'));
    try {
      api.getRandomValues({
        length,
        success: (result) => {
          const buffer = result ? result.randomValues : undefined;
          if (!isArrayBuffer(buffer) || buffer.byteLength !== length) {
            failed('wrong type or length');
            return;
          }
          resolve(new Uint8Array(buffer));
        },
        fail: (error) => failed(String((error && error.errMsg) || 'unknown error').slice(0, 200)),
      });
    } catch (error) {
      failed(error instanceof Error ? error.message.slice(0, 200) : 'threw');
    }
  });
}

/** A RandomRequester over wx.getRandomValues, splitting requests above 1 MiB. */
export function wxRandomRequester(api: WxRandomApi): RandomRequester {
  if (!api || typeof api.getRandomValues !== 'function') {
    throw new TypeError('"wx" expected an object with getRandomValues (base library >= 2.15.0)');
  }
  return async (length) => {
    assertInteger('length', length, 0, 64 * WX_RANDOM_MAX_PER_CALL);
    const out = new Uint8Array(length);
    for (let offset = 0; offset < length; offset += WX_RANDOM_MAX_PER_CALL) {
      const n = Math.min(WX_RANDOM_MAX_PER_CALL, length - offset);
      const chunk = await requestOnce(api, n);
      out.set(chunk, offset);
      chunk.fill(0);
    }
    return out;
  };
}
