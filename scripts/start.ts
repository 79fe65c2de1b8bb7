// npm start [-- relay flags] [--no-demo]
//
// The newcomer's first command: starts the relay on the embedded default (SQLite under
// ./data/relay, 127.0.0.1:8787) as its own process, then runs the scripted demo against it
// once (four member processes, transcript, scan of the relay's files) so a person can watch
// end-to-end encryption happen, and leaves the relay running for `npm run chat`.
// Operators run the relay alone: `npm run relay` (or `npm start -- --no-demo`, or
// RELAY_DEMO=0): a production relay should not carry demo groups.
import { spawn } from 'node:child_process';
import { runDemo } from '../demo/scenario';

const argv = process.argv.slice(2);
const noDemo = argv.includes('--no-demo') || process.env.RELAY_DEMO === '0' || argv.includes('--help') || argv.includes('-h');
const relayArgs = argv.filter((a) => a !== '--no-demo');

/** The relay's data directory as main.ts will resolve it (flag, then env, then default). */
function dataDirOf(args: string[]): string {
  const i = args.indexOf('--data-dir');
  if (i >= 0 && args[i + 1]) return args[i + 1]!;
  const eq = args.find((a) => a.startsWith('--data-dir='));
  if (eq) return eq.slice('--data-dir='.length);
  return process.env.RELAY_DATA_DIR || 'data/relay';
}

const relay = spawn(process.execPath, ['--import', 'tsx', 'relay/src/main.ts', ...relayArgs], { stdio: ['inherit', 'pipe', 'inherit'] });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => relay.kill(signal));
relay.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

let seen = '';
let demoStarted = false;
relay.stdout!.on('data', (chunk: Buffer) => {
  process.stdout.write(chunk);
  if (demoStarted || noDemo) return;
  seen += chunk.toString('utf8');
  const m = /listening on (http:\/\/[^\s(]+)/.exec(seen);
  if (!m) return;
  demoStarted = true;
  const relayUrl = m[1]!.replace('//0.0.0.0:', '//127.0.0.1:').replace(/\/$/, '');
  void (async () => {
    process.stdout.write(`\n== demo: four members talk through this relay (npm start -- --no-demo to skip) ==\n\n`);
    try {
      const result = await runDemo({ relayUrl, relayDataDir: dataDirOf(relayArgs) });
      process.stdout.write(
        result.ok
          ? `\n== demo passed. The relay keeps running at ${relayUrl}: try \`npm run chat -- --name alice\` in another terminal; Ctrl-C stops it. ==\n`
          : `\n== demo FAILED (see the checks above). The relay keeps running at ${relayUrl}; Ctrl-C stops it. ==\n`,
      );
    } catch (e) {
      process.stdout.write(`\n== demo could not run: ${(e as Error).message}. The relay keeps running; Ctrl-C stops it. ==\n`);
    }
  })();
});
