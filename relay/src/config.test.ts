import { describe, expect, it } from 'vitest';
import { ConfigError, defaultConfig, describeConfig, loadConfig, SETTINGS } from './config';

describe('relay config', () => {
  it('defaults, then environment, then flags (flags win)', () => {
    expect(loadConfig([], {})).toEqual(defaultConfig());
    const c = loadConfig(['--port', '9000', '--synchronous=normal'], { RELAY_PORT: '8000', RELAY_HOST: '0.0.0.0', RELAY_SYNCHRONOUS: 'FULL' });
    expect(c.port).toBe(9000);
    expect(c.host).toBe('0.0.0.0');
    expect(c.synchronous).toBe('NORMAL');
  });

  it('fails at start with a message naming the setting', () => {
    const bad: [string[], Record<string, string>, RegExp][] = [
      [['--nope', '1'], {}, /unknown flag --nope/],
      [['--port'], {}, /--port needs a value/],
      [[], { RELAY_PORT: '80a' }, /RELAY_PORT must be an integer/],
      [[], { RELAY_PORT: '70000' }, /RELAY_PORT must be in 0..65535/],
      [[], { RELAY_SYNCHRONOUS: 'sometimes' }, /RELAY_SYNCHRONOUS must be one of/],
      [[], { RELAY_STORE: 'postgres' }, /RELAY_DATABASE_URL must be a postgres:\/\/ URL/],
      [[], { RELAY_STORE: 'postgres', RELAY_DATABASE_URL: 'mysql://x' }, /RELAY_DATABASE_URL must be a postgres/],
      [[], { RELAY_DATABASE_URL: 'postgres://x/db' }, /only used with RELAY_STORE=postgres/],
      [[], { RELAY_REDIS_URL: 'redis://x' }, /RELAY_REDIS_URL needs RELAY_STORE=postgres/],
      [[], { RELAY_STORE: 'postgres', RELAY_DATABASE_URL: 'postgres://x/db', RELAY_REDIS_URL: 'http://x' }, /RELAY_REDIS_URL must be a redis/],
      [[], { RELAY_REDIS_CHANNEL: 'a b' }, /RELAY_REDIS_CHANNEL/],
      [[], { RELAY_PG_POOL_SIZE: '0' }, /RELAY_PG_POOL_SIZE must be in/],
      [[], { RELAY_SOCKET_SOFT_LIMIT: '9000000', RELAY_SOCKET_HARD_LIMIT: '9000000' }, /HARD_LIMIT must be larger/],
      [[], { RELAY_MAX_FRAME_BYTES: '65536' }, /RELAY_MAX_FRAME_BYTES must exceed/],
      [[], { RELAY_AUDIENCE: 'has space' }, /RELAY_AUDIENCE/],
    ];
    for (const [argv, env, re] of bad) expect(() => loadConfig(argv, env)).toThrow(re);
    expect(() => loadConfig(['--nope'], {})).toThrow(ConfigError);
  });

  it('PostgreSQL alone (one instance) or with Redis (several instances)', () => {
    const one = loadConfig(['--store', 'postgres', '--database-url', 'postgres://u:p@127.0.0.1/relay'], {});
    expect([one.store, one.redisUrl, one.pgPoolSize]).toEqual(['postgres', '', 10]);
    const many = loadConfig([], { RELAY_STORE: 'postgres', RELAY_DATABASE_URL: 'postgresql://h/db', RELAY_REDIS_URL: 'redis://127.0.0.1:6379', RELAY_REDIS_CHANNEL: 'prod-a' });
    expect([many.redisUrl, many.redisChannel]).toEqual(['redis://127.0.0.1:6379', 'prod-a']);
  });

  it('the documented table lists every setting once', () => {
    const table = describeConfig();
    for (const s of SETTINGS) expect(table).toContain(`\`${s.env}\``);
    expect(new Set(SETTINGS.map((s) => s.env)).size).toBe(SETTINGS.length);
    expect(new Set(SETTINGS.map((s) => s.flag)).size).toBe(SETTINGS.length);
  });
});
