// A relay core + Hono app without a listening socket (app.request), on a temp SQLite file or,
// with `store: 'postgres'`, on a fresh PostgreSQL schema (dropped by close()).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex } from '../../../crypto/src/bytes';
import { nodeRandom } from '../../../crypto/src/primitives/random';
import { loadDefaultPrimitives } from '../../../crypto/src/primitives/select';
import type { Primitives } from '../../../crypto/src/primitives/types';
import { decodeAuthChallengeResponse, decodeAuthSessionResponse, encodeAuthChallengeRequest, encodeAuthSessionRequest } from '../../../crypto/src/wire/http-bodies';
import { signRelayAuthChallenge } from '../../../crypto/src/wire/relay-auth';
import { createApp } from '../../src/app';
import { defaultConfig, validateConfig, type RelayConfig } from '../../src/config';
import { RelayCore } from '../../src/core';
import { createLogEnforcer } from '../../src/log-enforcer';
import { openPostgresStore } from '../../src/store/postgres';
import { openSqliteStore } from '../../src/store/sqlite';
import type { RelayStore } from '../../src/store/types';
import type { Device } from './log';
import { freshSchema, type FreshSchema } from './stores';

export interface AppFixture {
  p: Primitives;
  core: RelayCore;
  app: ReturnType<typeof createApp>;
  clock: { now: number };
  dir: string;
  req(method: string, path: string, body?: Uint8Array, token?: Uint8Array, headers?: Record<string, string>): Promise<{ status: number; bytes: Uint8Array; json: { error?: string } | null }>;
  login(d: Device): Promise<Uint8Array>;
  close(): Promise<void>;
}

export async function appFixture(overrides: Partial<RelayConfig> = {}, maxCachedGroups?: number): Promise<AppFixture> {
  const p = await loadDefaultPrimitives(nodeRandom);
  const dir = mkdtempSync(join(tmpdir(), 'relay-app-'));
  const schema: FreshSchema | null = overrides.store === 'postgres' ? await freshSchema() : null;
  const config = validateConfig({
    ...defaultConfig(),
    dataDir: dir,
    logLevel: 'silent',
    synchronous: 'NORMAL',
    ...(schema ? { databaseUrl: schema.url } : {}),
    ...overrides,
  });
  let store: RelayStore;
  if (schema) {
    store = await openPostgresStore({ url: schema.url, poolSize: 4 });
  } else {
    store = openSqliteStore({ file: join(dir, 'relay.sqlite'), synchronous: 'NORMAL' });
  }
  const clock = { now: 1_800_000_000_000 };
  const core = new RelayCore({ config, store, enforcer: createLogEnforcer(p), now: () => clock.now, ...(maxCachedGroups ? { maxCachedGroups } : {}) });
  core.start();
  const app = createApp(core, p);
  const req: AppFixture['req'] = async (method, path, body, token, headers = {}) => {
    const h: Record<string, string> = { ...headers };
    if (token) h.authorization = `Bearer ${bytesToHex(token)}`;
    const res = await app.request(path, { method, headers: h, ...(body ? { body: body as unknown as string } : {}) });
    const bytes = new Uint8Array(await res.arrayBuffer());
    const json = (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(Buffer.from(bytes).toString('utf8')) : null;
    return { status: res.status, bytes, json };
  };
  return {
    p,
    core,
    app,
    clock,
    dir,
    req,
    async login(d) {
      const ch = await req('POST', '/v1/auth/challenge', encodeAuthChallengeRequest({ identityKey: d.identityKey }));
      const { challenge } = decodeAuthChallengeResponse(ch.bytes);
      const s = await req('POST', '/v1/auth/session', encodeAuthSessionRequest({ challenge, signature: signRelayAuthChallenge(p, d.seed, challenge) }));
      if (s.status !== 200) throw new Error(`login failed ${s.status}`);
      return decodeAuthSessionResponse(s.bytes).token;
    },
    async close() {
      await core.stop();
      await store.close();
      await schema?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
