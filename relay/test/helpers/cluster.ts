// Several relay instances as separate processes (`relay/src/main.ts`, as an operator runs
// them) on one fresh PostgreSQL schema, one Redis channel, one shared blob directory and
// different loopback ports.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshChannel, freshSchema, TEST_REDIS_URL, type FreshSchema } from './stores';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface Instance {
  child: ChildProcess;
  httpUrl: string;
  wsUrl: string;
  /** kill -9. */
  kill(): Promise<void>;
}

export interface Cluster {
  instances: Instance[];
  schema: FreshSchema;
  channel: string;
  dataDir: string;
  /** Starts one more instance on the same database and channel (`env` overrides, e.g. another channel). */
  add(env?: Record<string, string>): Promise<Instance>;
  cleanup(): Promise<void>;
}

function exited(c: ChildProcess): Promise<void> {
  return c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r()));
}

async function startInstance(env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'relay/src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const urls = await new Promise<{ http: string; ws: string }>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`relay instance did not start: ${out}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/[\d.:]+) \(WebSocket (ws:\/\/\S+)\)/.exec(out);
      if (m) {
        clearTimeout(t);
        res({ http: m[1]!, ws: m[2]! });
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(t);
      rej(new Error(`relay instance exited ${code}: ${out}`));
    });
  });
  return {
    child,
    httpUrl: urls.http,
    wsUrl: urls.ws,
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
  };
}

export async function startCluster(n: number, extraEnv: Record<string, string> = {}): Promise<Cluster> {
  const schema = await freshSchema();
  const channel = freshChannel();
  const dataDir = mkdtempSync(join(tmpdir(), 'relay-cluster-'));
  const env = {
    RELAY_STORE: 'postgres',
    RELAY_DATABASE_URL: schema.url,
    RELAY_PG_POOL_SIZE: '4',
    RELAY_REDIS_URL: TEST_REDIS_URL,
    RELAY_REDIS_CHANNEL: channel,
    RELAY_DATA_DIR: dataDir,
    RELAY_PORT: '0',
    RELAY_HOST: '127.0.0.1',
    RELAY_SEND_RATE: '100000',
    RELAY_IP_RATE: '1000000',
    ...extraEnv,
  };
  const instances: Instance[] = [];
  const cluster: Cluster = {
    instances,
    schema,
    channel,
    dataDir,
    async add(overrides = {}) {
      const i = await startInstance({ ...env, ...overrides });
      instances.push(i);
      return i;
    },
    async cleanup() {
      await Promise.all(instances.map((i) => i.kill()));
      await schema.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  try {
    // The first instance migrates; the others start in parallel (migrations are idempotent and locked).
    await cluster.add();
    await Promise.all(Array.from({ length: n - 1 }, () => cluster.add()));
  } catch (e) {
    await cluster.cleanup();
    throw e;
  }
  return cluster;
}
