// Starts a real relay on 127.0.0.1, an ephemeral port and a temp data directory.
// With `store: 'postgres'` and no database URL, the relay gets a fresh PostgreSQL schema
// that cleanup() drops (helpers/stores.ts); `schema` reuses one (a restart on the same data).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, validateConfig, type RelayConfig } from '../../src/config';
import { startRelay, type RunningRelay, type StartOptions } from '../../src/server';
import { freshSchema, type FreshSchema } from './stores';

export interface TestRelay extends RunningRelay {
  dataDir: string;
  config: RelayConfig;
  /** The PostgreSQL schema this relay owns (null for SQLite or a given database URL). */
  schema: FreshSchema | null;
  cleanup(): Promise<void>;
}

export interface TestRelayOptions extends StartOptions {
  /** Keep the schema on cleanup (the test restarts a relay on it and drops it itself). */
  schema?: FreshSchema;
}

export async function startTestRelay(overrides: Partial<RelayConfig> = {}, dataDir?: string, opts: TestRelayOptions = {}): Promise<TestRelay> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'relay-test-'));
  let owned: FreshSchema | null = null;
  const extra: Partial<RelayConfig> = {};
  if (overrides.store === 'postgres' && !overrides.databaseUrl) {
    const schema = opts.schema ?? (owned = await freshSchema());
    extra.databaseUrl = schema.url;
    extra.pgPoolSize = 4;
  }
  const config = validateConfig({ ...defaultConfig(), port: 0, host: '127.0.0.1', dataDir: dir, logLevel: 'silent', synchronous: 'NORMAL', ...extra, ...overrides });
  let relay: RunningRelay;
  try {
    relay = await startRelay(config, opts);
  } catch (e) {
    await owned?.drop();
    throw e;
  }
  return Object.assign(relay, {
    dataDir: dir,
    config,
    schema: owned ?? opts.schema ?? null,
    async cleanup() {
      await relay.close();
      await owned?.drop();
      if (!dataDir) rmSync(dir, { recursive: true, force: true });
    },
  });
}
