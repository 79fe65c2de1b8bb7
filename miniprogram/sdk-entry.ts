// Entry of the mini program's SDK bundle (scripts/build-miniprogram.ts -> lib/sdk.js).
//
// For now: the crypto core with the noble backend (pure JS: the logic layer has no
// WebAssembly), our own UTF-8 codec (no TextEncoder/TextDecoder there), and the
// entropy pool fed by the asynchronous wx.getRandomValues. The client SDK joins this
// entry when it exists. Nothing here may import a Node built-in: the build fails if so.
import { bytesToHex, equalBytes, hexToBytes, utf8DecodeStrict, utf8Encode } from '../crypto/src/bytes';
import { E2eeError, isE2eeError } from '../crypto/src/errors';
import { createPrimitives } from '../crypto/src/primitives/index';
import { nobleBackend } from '../crypto/src/primitives/noble';
import type { Primitives } from '../crypto/src/primitives/types';
import { EntropyPool } from './sdk/entropy-pool';
import { wxRandomRequester, type WxRandomApi } from './sdk/wx-random';

export { bytesToHex, equalBytes, hexToBytes, utf8DecodeStrict, utf8Encode };
export { E2eeError, isE2eeError };
export { createPrimitives, nobleBackend };
export { EntropyPool, wxRandomRequester };
export type { Primitives, WxRandomApi };

/** Version of the bundle's exported surface (bumped when the SDK lands). */
export const SDK_BUNDLE_VERSION = '0.1.0-crypto-core';

export interface StartCryptoOptions {
  /** The wx object (defaults to the logic layer's global `wx`). */
  wx?: WxRandomApi;
  /** Entropy pool capacity in bytes (default 64 KiB). */
  poolCapacity?: number;
}

export interface CryptoRuntime {
  primitives: Primitives;
  pool: EntropyPool;
}

declare const wx: WxRandomApi | undefined;

/**
 * Fills the entropy pool from wx.getRandomValues and builds the noble primitives on it.
 * Call once at launch (App.onLaunch) and await it before any key is made.
 */
export async function startCrypto(options: StartCryptoOptions = {}): Promise<CryptoRuntime> {
  const api = options.wx ?? (typeof wx === 'object' && wx !== null ? wx : undefined);
  if (!api) throw new TypeError('"wx" is not available: this bundle runs in the WeChat logic layer');
  const pool = new EntropyPool({
    request: wxRandomRequester(api),
    ...(options.poolCapacity === undefined ? {} : { capacity: options.poolCapacity }),
  });
  await pool.ready();
  return { primitives: createPrimitives(nobleBackend, pool.randomSource), pool };
}
