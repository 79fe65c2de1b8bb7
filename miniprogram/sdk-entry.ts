// Entry of the mini program's SDK bundle (scripts/build-miniprogram.ts -> lib/sdk.js).
//
// For now: the crypto core with the noble backend (pure JS: the logic layer has no
// WebAssembly), our own UTF-8 codec (no TextEncoder/TextDecoder there), the client's
// entropy pool fed by the asynchronous wx.getRandomValues, and the client's local store
// on wx's file system manager, and the relay's auth bodies and socket frames (the wire
// module). The rest of the client SDK joins this entry when it exists. Nothing here may import a Node built-in: the build
// fails if anything does.
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
import { MAX_WX_SOCKETS, wxPlatform, type WxNetLike, type WxPlatformOptions } from './lib/wx-platform';
import { startAppRuntime, type AppRuntime, type AppRuntimeOptions } from './bridge/runtime';
import { wxFiles, type WxFilesLike } from './bridge/wx-files';
import { presentApp } from './bridge/present-sdk';
import type { AppViewModel } from './lib/view-model';

export { bytesToHex, equalBytes, hexToBytes, utf8DecodeStrict, utf8Encode };
export { E2eeError, isE2eeError };
export { createPrimitives, nobleBackend };
export { createEntropyPool, wxRandomFill, openFsmStore };
export { encodeAuthChallengeRequest, decodeAuthChallengeResponse, encodeAuthSessionRequest, decodeAuthSessionResponse, signRelayAuthChallenge };
export { encodeClientFrame, decodeRelayFrame, FRAME };
export { wxPlatform, MAX_WX_SOCKETS, startAppRuntime, wxFiles, presentApp };
export type { AppRuntime, AppRuntimeOptions, WxFilesLike };
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

export interface StartMiniProgramOptions extends StartCryptoOptions {
  /** The wx object (defaults to the logic layer's global `wx`). */
  wx?: WxRandomLike & WxNetLike & { env: { USER_DATA_PATH: string }; getFileSystemManager(): FileSystemManagerLike };
  relayUrl: string;
  wsUrl?: string;
  /** Receives every view model (lib/store's setViewModel). */
  publish(vm: AppViewModel): void;
  /** Directory of the device store under USER_DATA_PATH (default "e2ee"). */
  storeDir?: string;
  engine?: AppRuntimeOptions['engine'];
  connection?: AppRuntimeOptions['connection'];
}

/**
 * The whole client at launch: entropy pool and noble primitives, the device store on the
 * file system manager, the SDK on wx sockets and requests, and the view-model runtime.
 */
export async function startMiniProgram(options: StartMiniProgramOptions): Promise<AppRuntime & { pool: EntropyPool }> {
  const api = options.wx ?? (typeof wx === 'object' && wx !== null ? (wx as unknown as NonNullable<StartMiniProgramOptions['wx']>) : undefined);
  if (!api) throw new E2eeError(RANDOM_FAILED, 'wx is not available', 'startMiniProgram');
  const { primitives, pool } = await startCrypto({ wx: api, ...(options.poolCapacity ? { poolCapacity: options.poolCapacity } : {}) });
  const store = await openFsmStore(api.getFileSystemManager(), `${api.env.USER_DATA_PATH}/${options.storeDir ?? 'e2ee'}`);
  const runtime = await startAppRuntime({
    platform: wxPlatform(api),
    primitives,
    store,
    relayUrl: options.relayUrl,
    ...(options.wsUrl ? { wsUrl: options.wsUrl } : {}),
    files: wxFiles(api),
    publish: options.publish,
    ...(options.engine ? { engine: options.engine } : {}),
    ...(options.connection ? { connection: options.connection } : {}),
  });
  return Object.assign(runtime, { pool });
}
