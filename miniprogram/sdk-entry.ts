// Entry of the mini program's crypto + SDK bundle (scripts/build-miniprogram.ts -> lib/sdk.js).
//
// The crypto core with the noble backend (pure JS: the logic layer has no
// WebAssembly), our own UTF-8 codec (no TextEncoder/TextDecoder there), the client's
// entropy pool fed by the asynchronous wx.getRandomValues, and the client's local store
// on wx's file system manager, and the relay's auth bodies and socket frames (the wire
// module), and the client SDK (chat client, messaging). The UI bridge (view-model mapping,
// wx file helpers, startMiniProgram) is NOT in this bundle: it is lib/bridge.js, built from
// bridge-entry.ts, and takes every SDK value it needs from the exports below. Nothing here
// may import a Node built-in: the build fails if anything does.
import { createEntropyPool, wxRandomFill, type EntropyPool, type WxRandomLike } from '../client/src/platform/entropy-pool';
import { openFsmStore, type FileSystemManagerLike } from '../client/src/store/fsm-store';
import type { LocalStore } from '../client/src/store/types';
import { bytesToHex, equalBytes, hexToBytes, utf8DecodeStrict, utf8Encode } from '../crypto/src/bytes';
import { E2eeError, isE2eeError, RANDOM_FAILED } from '../crypto/src/errors';
import { createPrimitives } from '../crypto/src/primitives/index';
import { nobleBackend } from '../crypto/src/primitives/noble';
import type { Primitives } from '../crypto/src/primitives/types';
import {
  decodeAuthChallengeResponse,
  decodeAuthSessionResponse,
  encodeAuthChallengeRequest,
  encodeAuthSessionRequest,
} from '../crypto/src/wire/http-bodies';
import { signRelayAuthChallenge } from '../crypto/src/wire/relay-auth';
import { decodeRelayFrame, encodeClientFrame, FRAME } from '../crypto/src/wire/relay-frames';
import { actionFor, decodePolicyBytes } from '../crypto/src/redact/policy';
import { ENTITY_LABELS, ENTITY_TYPES } from '../crypto/src/redact/types';
import { createChatClient } from '../client/src/sdk/chat-client';
import { createMessaging } from '../client/src/sdk/messaging';
import { MAX_WX_SOCKETS, wxPlatform, type WxNetLike, type WxPlatformOptions } from './lib/wx-platform';

export { bytesToHex, equalBytes, hexToBytes, utf8DecodeStrict, utf8Encode };
export { E2eeError, isE2eeError, RANDOM_FAILED };
export { createPrimitives, nobleBackend };
export { createEntropyPool, wxRandomFill, openFsmStore };
export { encodeAuthChallengeRequest, decodeAuthChallengeResponse, encodeAuthSessionRequest, decodeAuthSessionResponse, signRelayAuthChallenge };
export { encodeClientFrame, decodeRelayFrame, FRAME };
export { wxPlatform, MAX_WX_SOCKETS };
export { createChatClient, createMessaging };
export { actionFor, decodePolicyBytes, ENTITY_LABELS, ENTITY_TYPES };
export type { WxNetLike, WxPlatformOptions };
export type { EntropyPool, FileSystemManagerLike, LocalStore, Primitives, WxRandomLike };

/** Version of the bundle's exported surface (bumped when the SDK lands). */
export const SDK_BUNDLE_VERSION = '0.2.0-sdk';

/** Entropy pool size: a 500-member rotation takes ~16 KiB of randomness. */
export const DEFAULT_POOL_BYTES = 64 * 1024;

export interface StartCryptoOptions {
  /** The wx object (defaults to the logic layer's global `wx`). */
  wx?: WxRandomLike;
  /** Entropy pool capacity in bytes (default 64 KiB). */
  poolCapacity?: number;
}

export interface CryptoRuntime {
  primitives: Primitives;
  pool: EntropyPool;
}

declare const wx: WxRandomLike | undefined;

/**
 * Fills the entropy pool from wx.getRandomValues and builds the noble primitives on it.
 * Call once at launch (App.onLaunch) and await it before any key is made. Rejects with
 * E2E_ERR_RANDOM_FAILED when the platform gives no secure randomness: never a fallback.
 */
export async function startCrypto(options: StartCryptoOptions = {}): Promise<CryptoRuntime> {
  const api = options.wx ?? (typeof wx === 'object' && wx !== null ? wx : undefined);
  if (!api || typeof api.getRandomValues !== 'function') {
    throw new E2eeError(RANDOM_FAILED, 'wx.getRandomValues is not available (base library >= 2.15.0 required)', 'startCrypto');
  }
  const pool = createEntropyPool({ fill: wxRandomFill(api), capacity: options.poolCapacity ?? DEFAULT_POOL_BYTES });
  await pool.ready();
  return { primitives: createPrimitives(nobleBackend, pool.random), pool };
}
