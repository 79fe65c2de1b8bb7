// Starts a real relay on 127.0.0.1, an ephemeral port and a temp data directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, validateConfig, type RelayConfig } from '../../src/config';
import { startRelay, type RunningRelay, type StartOptions } from '../../src/server';

export interface TestRelay extends RunningRelay {
  dataDir: string;
  cleanup(): Promise<void>;
}

export async function startTestRelay(overrides: Partial<RelayConfig> = {}, dataDir?: string, opts: StartOptions = {}): Promise<TestRelay> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'relay-test-'));
  const config = validateConfig({ ...defaultConfig(), port: 0, host: '127.0.0.1', dataDir: dir, logLevel: 'silent', synchronous: 'NORMAL', ...overrides });
  const relay = await startRelay(config, opts);
  return Object.assign(relay, {
    dataDir: dir,
    async cleanup() {
      await relay.close();
      if (!dataDir) rmSync(dir, { recursive: true, force: true });
    },
  });
}
