// Builds the SDK bundle and the bridge bundle once per test file (in memory; lib/ is left alone).
import { BRIDGE_REQUIRES_SDK, buildBridgeBundle, buildMiniprogramBundle, type BundleResult } from '../../scripts/build-miniprogram';
import type { LogicLayerSandbox } from './sandbox';

let cached: Promise<BundleResult> | null = null;
let cachedBridge: Promise<BundleResult> | null = null;

export function sdkBundle(): Promise<BundleResult> {
  cached ??= buildMiniprogramBundle();
  return cached;
}

export function bridgeBundle(): Promise<BundleResult> {
  cachedBridge ??= buildBridgeBundle();
  return cachedBridge;
}

/**
 * Loads lib/sdk.js and then lib/bridge.js in `sandbox` as the mini program does (the bridge's
 * `require('./sdk.js')` returns the SDK module); returns the SDK's exports with the bridge's.
 */
export function loadSdkWithBridge<T>(sandbox: LogicLayerSandbox, sdkCode: string, bridgeCode: string): T {
  const sdk = sandbox.loadModule<Record<string, unknown>>(sdkCode, 'lib/sdk.js');
  const bridge = sandbox.loadModule<Record<string, unknown>>(bridgeCode, 'lib/bridge.js', { [BRIDGE_REQUIRES_SDK]: sdk });
  return { ...sdk, ...bridge } as T;
}
