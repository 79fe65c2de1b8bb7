// Builds the SDK bundle once per test file (in memory; lib/sdk.js is left alone).
import { buildMiniprogramBundle, type BundleResult } from '../../scripts/build-miniprogram';

let cached: Promise<BundleResult> | null = null;

export function sdkBundle(): Promise<BundleResult> {
  cached ??= buildMiniprogramBundle();
  return cached;
}
