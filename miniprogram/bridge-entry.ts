// Entry of the mini program's UI bridge bundle (scripts/build-miniprogram.ts -> lib/bridge.js).
//
// The bridge is mini program code, not crypto + SDK: it maps SDK state to plain view models
// (bridge/present-sdk.ts), runs page intents against the SDK (bridge/runtime.ts), wraps wx
// file helpers (bridge/wx-files.ts) and starts the whole client (startMiniProgram). Every SDK
// value it uses comes from ./sdk-entry, which the build turns into `require('./sdk.js')`:
// lib/bridge.js holds no copy of crypto or client code (the build fails if it would).
import {
  E2eeError,
  openFsmStore,
  RANDOM_FAILED,
  startCrypto,
  wxPlatform,
  type EntropyPool,
  type FileSystemManagerLike,
  type StartCryptoOptions,
  type WxNetLike,
  type WxRandomLike,
} from './sdk-entry';
import { startAppRuntime, type AppRuntime, type AppRuntimeOptions } from './bridge/runtime';
import { wxFiles, type WxFilesLike } from './bridge/wx-files';
import { presentApp } from './bridge/present-sdk';
import type { AppViewModel } from './lib/view-model';

export { startAppRuntime, wxFiles, presentApp };
export type { AppRuntime, AppRuntimeOptions, WxFilesLike };

/** Version of the bridge's exported surface. */
export const BRIDGE_BUNDLE_VERSION = '0.3.0-bridge';

declare const wx: unknown;

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
