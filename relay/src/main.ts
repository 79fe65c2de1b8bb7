// `npm start`: flags + environment -> config -> start the relay; prints where it listens.
// Configuration table: relay/src/config.ts (docs/RELAY.md "Configuration").
import { ConfigError, describeConfig, loadConfig } from './config';
import { startRelay } from './server';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`Usage: npm start -- [flags]\n\n${describeConfig()}\n`);
    return;
  }
  let config;
  try {
    config = loadConfig(argv, process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`relay: configuration error: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const relay = await startRelay(config);
  if (config.logLevel === 'info') {
    const where =
      config.store === 'postgres'
        ? `store postgres${config.redisUrl ? ' with Redis fan-out' : ' (single instance: no RELAY_REDIS_URL)'}, blobs in ${config.dataDir}`
        : `data in ${config.dataDir}, synchronous=${config.synchronous}`;
    process.stdout.write(`relay listening on ${relay.httpUrl} (WebSocket ${relay.wsUrl}), ${where}\n`);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    if (config.logLevel === 'info') process.stdout.write(`relay: ${signal}, draining sockets and checkpointing\n`);
    relay.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  process.stderr.write(`relay: failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
