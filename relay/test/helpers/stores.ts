// Which stores the relay suite runs against, and a fresh PostgreSQL schema per relay.
//
// SQLite always runs. PostgreSQL (and Redis, for the multi-instance tests) run when their
// servers answer on loopback: RELAY_TEST_DATABASE_URL / RELAY_TEST_REDIS_URL, defaulting to
// the ones `.ci/run` starts. Locally a missing server skips those runs with a printed reason;
// with CI=true a missing server fails the run.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';

export type StoreKind = 'sqlite' | 'postgres';

export const TEST_DATABASE_URL = process.env.RELAY_TEST_DATABASE_URL || 'postgres://wxe2ee:wxe2ee@127.0.0.1:5432/wxe2ee_test';
export const TEST_REDIS_URL = process.env.RELAY_TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

async function probePostgres(): Promise<string | null> {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return null;
  } catch (e) {
    return `PostgreSQL not reachable at ${TEST_DATABASE_URL.replace(/\/\/[^@]*@/, '//')}: ${(e as Error).message}`;
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function probeRedis(): Promise<string | null> {
  const r = new Redis(TEST_REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  r.on('error', () => undefined);
  try {
    await r.connect();
    await r.ping();
    return null;
  } catch (e) {
    return `Redis not reachable at ${TEST_REDIS_URL}: ${(e as Error).message}`;
  } finally {
    r.disconnect();
  }
}

async function probe(): Promise<{ postgres: string | null; redis: string | null }> {
  const [postgres, redis] = await Promise.all([probePostgres(), probeRedis()]);
  for (const reason of [postgres, redis]) {
    if (!reason) continue;
    if (IN_CI) throw new Error(`CI=true: ${reason} (.ci/run starts PostgreSQL and Redis on loopback)`);
    console.warn(`[relay tests] skipping the PostgreSQL/Redis runs: ${reason}`);
  }
  return { postgres, redis };
}

/** Why a server is unavailable (null when it answers). */
export const unavailable = await probe();

/** The stores the parameterised relay suite runs against. */
export const TEST_STORES: StoreKind[] = unavailable.postgres ? ['sqlite'] : ['sqlite', 'postgres'];

/** Both PostgreSQL and Redis answer: the multi-instance tests can run. */
export const SCALEOUT_AVAILABLE = !unavailable.postgres && !unavailable.redis;

export interface FreshSchema {
  /** The database URL with search_path set to the new schema. */
  url: string;
  schema: string;
  drop(): Promise<void>;
}

/** Creates an empty schema (parallel test files and relays never share tables). */
export async function freshSchema(): Promise<FreshSchema> {
  const schema = `t_${process.pid}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    schema,
    async drop() {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}

/** A fresh Redis channel name (parallel test files never hear each other's events). */
export function freshChannel(): string {
  return `wxe2ee-test-${process.pid}-${randomBytes(6).toString('hex')}`;
}
