// The relay's configuration: ONE table of names (flag, environment variable, default, meaning).
// docs/RELAY.md prints this table; `describeConfig()` renders it for `--help`.
// Misconfiguration fails at start with a message naming the setting.

export type Synchronous = 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';

export interface RelayConfig {
  port: number;
  host: string;
  /** Name signed into every auth challenge; clients check it is the relay they meant. */
  audience: string;
  dataDir: string;
  store: 'sqlite' | 'postgres';
  databaseUrl: string;
  /** PostgreSQL connections per instance. */
  pgPoolSize: number;
  redisUrl: string;
  /** Redis pub/sub channel shared by the instances of one deployment. */
  redisChannel: string;
  synchronous: Synchronous;
  /** Largest WebSocket frame, bytes. */
  maxFrameBytes: number;
  /** Largest HTTP body (except blobs), bytes. */
  maxBodyBytes: number;
  /** Largest blob, bytes. */
  maxBlobBytes: number;
  /** Largest message ciphertext inside a SEND frame, bytes. */
  maxMessageBytes: number;
  /** Message sends per identity per second (token bucket, burst = 2x). */
  sendRatePerIdentity: number;
  /** HTTP requests + WebSocket frames per IP per second (burst = 2x). */
  rateLimitPerIp: number;
  /** One-time prekey claims per identity per minute. */
  claimRatePerMinute: number;
  /** Signed prekey-bundle requests (up to 100 members each) per identity per minute. */
  bundleRatePerMinute: number;
  /** Age after which messages and blobs are deleted even if unacknowledged, seconds. */
  retentionSeconds: number;
  /** Session token lifetime, seconds. */
  tokenTtlSeconds: number;
  /** Auth challenge lifetime, seconds. */
  challengeTtlSeconds: number;
  /** WebSocket heartbeat interval, milliseconds; a ping unanswered by the next one closes the socket. */
  heartbeatMs: number;
  /** Bytes queued on a socket above which live pushes stop and the socket catches up from the database. */
  socketSoftLimitBytes: number;
  /** Bytes queued on a socket above which it is closed with code 4409. */
  socketHardLimitBytes: number;
  /** A socket over the soft limit for longer than this is closed with code 4409, milliseconds. */
  slowSocketTimeoutMs: number;
  /** Maximum simultaneous WebSocket connections. */
  maxConnections: number;
  /** Simultaneous authenticated WebSocket connections of one identity on this instance; more are closed with 4430. */
  maxConnectionsPerIdentity: number;
  /** Log level: 'info' prints start/stop lines; 'silent' nothing. Logs never carry content or IDs. */
  logLevel: 'info' | 'silent';
  /** Off-app wake-ups for opted-in members without a live socket: 'log' prints a content-free line; 'none' sends none. */
  notifier: 'log' | 'none';
  /** At most one wake-up per member and group per this many seconds. */
  notifyIntervalSeconds: number;
}

type Parse<T> = (raw: string, name: string) => T;

interface Setting<K extends keyof RelayConfig> {
  key: K;
  flag: string;
  env: string;
  default: RelayConfig[K];
  meaning: string;
  parse: Parse<RelayConfig[K]>;
}

function int(min: number, max: number): Parse<number> {
  return (raw, name) => {
    if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
    const v = Number(raw);
    if (v < min || v > max) throw new ConfigError(`${name} must be in ${min}..${max}, got ${v}`);
    return v;
  };
}

function oneOf<T extends string>(...values: T[]): Parse<T> {
  return (raw, name) => {
    const v = raw.trim();
    const hit = values.find((x) => x.toLowerCase() === v.toLowerCase());
    if (!hit) throw new ConfigError(`${name} must be one of ${values.join(', ')}, got "${raw}"`);
    return hit;
  };
}

const text: Parse<string> = (raw) => raw;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const KiB = 1024;
const MiB = 1024 * KiB;

/** The one table of names. */
export const SETTINGS = [
  { key: 'port', flag: '--port', env: 'RELAY_PORT', default: 8787, meaning: 'TCP port to listen on (0 = any free port)', parse: int(0, 65535) },
  { key: 'host', flag: '--host', env: 'RELAY_HOST', default: '127.0.0.1', meaning: 'address to bind; put a TLS proxy in front for wss', parse: text },
  { key: 'audience', flag: '--audience', env: 'RELAY_AUDIENCE', default: 'wxe2ee-relay', meaning: 'relay name signed into auth challenges (set it to the public host name clients use)', parse: text },
  { key: 'dataDir', flag: '--data-dir', env: 'RELAY_DATA_DIR', default: './data/relay', meaning: 'directory for relay.sqlite (+ -wal, -shm) and blobs/ (store=postgres: blobs/ only, on storage every instance shares)', parse: text },
  { key: 'store', flag: '--store', env: 'RELAY_STORE', default: 'sqlite', meaning: 'storage backend: sqlite (one instance) or postgres (one or several instances sharing the database)', parse: oneOf('sqlite', 'postgres') },
  { key: 'databaseUrl', flag: '--database-url', env: 'RELAY_DATABASE_URL', default: '', meaning: 'PostgreSQL URL (postgres://user:password@host:5432/db), required when store=postgres', parse: text },
  { key: 'pgPoolSize', flag: '--pg-pool-size', env: 'RELAY_PG_POOL_SIZE', default: 10, meaning: 'PostgreSQL connections per instance', parse: int(1, 1000) },
  { key: 'redisUrl', flag: '--redis-url', env: 'RELAY_REDIS_URL', default: '', meaning: 'Redis URL (redis://host:6379) for cross-instance fan-out; needed when more than one instance shares the PostgreSQL database', parse: text },
  { key: 'redisChannel', flag: '--redis-channel', env: 'RELAY_REDIS_CHANNEL', default: 'wxe2ee-relay', meaning: 'Redis pub/sub channel; one per deployment (every instance of it uses the same)', parse: text },
  { key: 'synchronous', flag: '--synchronous', env: 'RELAY_SYNCHRONOUS', default: 'FULL', meaning: 'SQLite synchronous mode: FULL survives power loss; NORMAL survives kill -9 only', parse: oneOf<Synchronous>('OFF', 'NORMAL', 'FULL', 'EXTRA') },
  { key: 'maxFrameBytes', flag: '--max-frame-bytes', env: 'RELAY_MAX_FRAME_BYTES', default: 256 * KiB, meaning: 'largest WebSocket frame, bytes', parse: int(1 * KiB, 16 * MiB) },
  { key: 'maxBodyBytes', flag: '--max-body-bytes', env: 'RELAY_MAX_BODY_BYTES', default: 1 * MiB, meaning: 'largest HTTP body except blobs, bytes (500-member commits need ~100 KiB)', parse: int(4 * KiB, 64 * MiB) },
  { key: 'maxBlobBytes', flag: '--max-blob-bytes', env: 'RELAY_MAX_BLOB_BYTES', default: 100 * MiB, meaning: 'largest encrypted attachment, bytes', parse: int(1 * KiB, 2048 * MiB) },
  { key: 'maxMessageBytes', flag: '--max-message-bytes', env: 'RELAY_MAX_MESSAGE_BYTES', default: 64 * KiB, meaning: 'largest message ciphertext, bytes', parse: int(256, 16 * MiB) },
  { key: 'sendRatePerIdentity', flag: '--send-rate', env: 'RELAY_SEND_RATE', default: 200, meaning: 'message sends per identity per second (burst 2x)', parse: int(1, 1_000_000) },
  { key: 'rateLimitPerIp', flag: '--ip-rate', env: 'RELAY_IP_RATE', default: 2000, meaning: 'HTTP requests and frames per IP per second (burst 2x)', parse: int(1, 10_000_000) },
  { key: 'claimRatePerMinute', flag: '--claim-rate', env: 'RELAY_CLAIM_RATE', default: 120, meaning: 'one-time prekey claims per identity per minute', parse: int(1, 1_000_000) },
  { key: 'bundleRatePerMinute', flag: '--bundle-rate', env: 'RELAY_BUNDLE_RATE', default: 60, meaning: 'signed prekey-bundle requests (up to 100 members each, nothing consumed) per identity per minute', parse: int(1, 1_000_000) },
  { key: 'retentionSeconds', flag: '--retention-seconds', env: 'RELAY_RETENTION_SECONDS', default: 30 * 86400, meaning: 'delete messages and blobs older than this even if unacknowledged', parse: int(60, 10 * 365 * 86400) },
  { key: 'tokenTtlSeconds', flag: '--token-ttl-seconds', env: 'RELAY_TOKEN_TTL_SECONDS', default: 3600, meaning: 'session token lifetime', parse: int(10, 7 * 86400) },
  { key: 'challengeTtlSeconds', flag: '--challenge-ttl-seconds', env: 'RELAY_CHALLENGE_TTL_SECONDS', default: 60, meaning: 'auth challenge lifetime (single use)', parse: int(1, 600) },
  { key: 'heartbeatMs', flag: '--heartbeat-ms', env: 'RELAY_HEARTBEAT_MS', default: 30_000, meaning: 'WebSocket ping interval; a socket that has not answered one ping by the next is closed (4408)', parse: int(100, 600_000) },
  { key: 'socketSoftLimitBytes', flag: '--socket-soft-limit', env: 'RELAY_SOCKET_SOFT_LIMIT', default: 1 * MiB, meaning: 'queued bytes above which a socket stops getting live pushes and catches up from the database', parse: int(1 * KiB, 1024 * MiB) },
  { key: 'socketHardLimitBytes', flag: '--socket-hard-limit', env: 'RELAY_SOCKET_HARD_LIMIT', default: 8 * MiB, meaning: 'queued bytes above which a socket is closed with code 4409', parse: int(2 * KiB, 2048 * MiB) },
  { key: 'slowSocketTimeoutMs', flag: '--slow-socket-timeout-ms', env: 'RELAY_SLOW_SOCKET_TIMEOUT_MS', default: 30_000, meaning: 'a socket that stays over the soft limit this long is closed with code 4409', parse: int(100, 3_600_000) },
  { key: 'maxConnections', flag: '--max-connections', env: 'RELAY_MAX_CONNECTIONS', default: 50_000, meaning: 'simultaneous WebSocket connections', parse: int(1, 10_000_000) },
  { key: 'maxConnectionsPerIdentity', flag: '--max-connections-per-identity', env: 'RELAY_MAX_CONNECTIONS_PER_IDENTITY', default: 8, meaning: 'simultaneous authenticated WebSocket connections of one identity on this instance; one more is closed with 4430', parse: int(1, 100_000) },
  { key: 'logLevel', flag: '--log-level', env: 'RELAY_LOG_LEVEL', default: 'info', meaning: 'info or silent (logs never carry content or IDs)', parse: oneOf('info', 'silent') },
  { key: 'notifier', flag: '--notifier', env: 'RELAY_NOTIFIER', default: 'log', meaning: 'wake-ups for opted-in members with no live socket: log (one content-free line each) or none', parse: oneOf('log', 'none') },
  { key: 'notifyIntervalSeconds', flag: '--notify-interval-seconds', env: 'RELAY_NOTIFY_INTERVAL_SECONDS', default: 300, meaning: 'at most one wake-up per member and group per this many seconds', parse: int(1, 7 * 86400) },
] as const satisfies readonly Setting<keyof RelayConfig>[];

export function defaultConfig(): RelayConfig {
  const out: Record<string, unknown> = {};
  for (const s of SETTINGS) out[s.key] = s.default;
  return out as unknown as RelayConfig;
}

/**
 * Builds the config from defaults, then environment variables, then flags (flags win).
 * Throws ConfigError on an unknown flag, a bad value, or an inconsistent combination.
 */
export function loadConfig(argv: readonly string[], env: Record<string, string | undefined>): RelayConfig {
  const cfg = defaultConfig() as unknown as Record<string, unknown>;
  for (const s of SETTINGS) {
    const raw = env[s.env];
    if (raw !== undefined && raw !== '') cfg[s.key] = (s.parse as Parse<unknown>)(raw, s.env);
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    const s = SETTINGS.find((x) => x.flag === flag);
    if (!s) throw new ConfigError(`unknown flag ${flag} (see --help)`);
    let value: string | undefined = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new ConfigError(`${flag} needs a value`);
    cfg[s.key] = (s.parse as Parse<unknown>)(value, s.flag);
  }
  return validateConfig(cfg as unknown as RelayConfig);
}

export function validateConfig(cfg: RelayConfig): RelayConfig {
  if (cfg.store === 'postgres' && !/^postgres(ql)?:\/\/./.test(cfg.databaseUrl)) {
    throw new ConfigError('RELAY_DATABASE_URL must be a postgres:// URL when RELAY_STORE=postgres');
  }
  if (cfg.store === 'sqlite' && cfg.databaseUrl) throw new ConfigError('RELAY_DATABASE_URL is only used with RELAY_STORE=postgres');
  if (cfg.redisUrl) {
    if (cfg.store !== 'postgres') throw new ConfigError('RELAY_REDIS_URL needs RELAY_STORE=postgres (instances must share one database)');
    if (!/^rediss?:\/\/./.test(cfg.redisUrl)) throw new ConfigError('RELAY_REDIS_URL must be a redis:// or rediss:// URL');
  }
  if (!/^[\x21-\x7e]{1,128}$/.test(cfg.redisChannel)) throw new ConfigError('RELAY_REDIS_CHANNEL must be 1..128 printable ASCII characters without spaces');
  if (cfg.dataDir.trim() === '') throw new ConfigError('RELAY_DATA_DIR must not be empty');
  if (cfg.socketHardLimitBytes <= cfg.socketSoftLimitBytes) {
    throw new ConfigError('RELAY_SOCKET_HARD_LIMIT must be larger than RELAY_SOCKET_SOFT_LIMIT');
  }
  if (cfg.maxMessageBytes + 128 > cfg.maxFrameBytes) {
    throw new ConfigError('RELAY_MAX_FRAME_BYTES must exceed RELAY_MAX_MESSAGE_BYTES by at least 128 bytes of framing');
  }
  if (cfg.audience.length < 1 || cfg.audience.length > 64 || !/^[\x21-\x7e]+$/.test(cfg.audience)) {
    throw new ConfigError('RELAY_AUDIENCE must be 1..64 printable ASCII characters without spaces');
  }
  if (cfg.host.trim() === '') throw new ConfigError('RELAY_HOST must not be empty');
  return cfg;
}

/** The table as Markdown (docs/RELAY.md and `--help`). */
export function describeConfig(): string {
  const rows = SETTINGS.map((s) => `| \`${s.flag}\` | \`${s.env}\` | \`${String(s.default) || '(empty)'}\` | ${s.meaning} |`);
  return ['| flag | environment | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
