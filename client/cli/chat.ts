// npm run chat -- --name alice [--relay http://127.0.0.1:8787] [--data DIR]
//
// A terminal chat client on the SDK. The device (keys, history) lives in DIR, default
// ./data/chat/<name>, readable by the owner only; the relay URL also comes from
// WXE2EE_RELAY_URL. Type /help for the commands. Works with a pipe too (no prompt then):
// every input line is handled in order, and the client exits at the end of input.
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { ChatApp, describeError } from './app';
import { createSdkBackend } from './backend';
import { openNodeDevice } from './node-client';

const USAGE = `Usage: npm run chat -- --name NAME [--relay URL] [--data DIR]

  --name NAME   your local name (shown to you; others see your member ID)
  --relay URL   the relay, http(s)://host:port (default $WXE2EE_RELAY_URL or http://127.0.0.1:8787)
  --data DIR    where this device keeps its keys and history (default ./data/chat/NAME)
`;

function parseArgs(argv: string[]): { name: string; relay: string; data: string } | string {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') return USAGE;
    const m = /^--(name|relay|data)$/.exec(a);
    if (!m) return `unknown argument ${a}\n\n${USAGE}`;
    const v = argv[++i];
    if (v === undefined || v.startsWith('--')) return `${a} needs a value\n\n${USAGE}`;
    out[m[1]!] = v;
  }
  if (!out.name) return `--name is required\n\n${USAGE}`;
  if (!/^[\p{L}\p{N}_.-]{1,32}$/u.test(out.name)) return '--name: 1 to 32 letters, digits, "_", "." or "-"';
  const relay = out.relay ?? process.env.WXE2EE_RELAY_URL ?? 'http://127.0.0.1:8787';
  if (!/^https?:\/\/[^/]+\/?$/.test(relay)) return '--relay takes http(s)://host:port';
  return { name: out.name, relay: relay.replace(/\/+$/, ''), data: resolve(out.data ?? `data/chat/${out.name}`) };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (typeof args === 'string') {
    (args === USAGE ? process.stdout : process.stderr).write(args.endsWith('\n') ? args : `${args}\n`);
    return args === USAGE ? 0 : 2;
  }
  const tty = process.stdin.isTTY === true;
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: tty });
  const print = (line: string) => {
    if (tty) {
      process.stdout.write(`\r\x1b[K${line}\n`);
      rl.prompt(true);
    } else process.stdout.write(`${line}\n`);
  };

  print(`connecting to ${args.relay} ...`);
  let device;
  try {
    device = await openNodeDevice({ dataDir: args.data, relayUrl: args.relay });
  } catch (e) {
    process.stderr.write(`chat: cannot start: ${describeError(e)}\n`);
    rl.close();
    return 1;
  }
  const backend = createSdkBackend(device, args.name);
  const app = new ChatApp(backend, print, args.name);
  print(`you are ${args.name}, member ID ${backend.selfId}`);
  print(`device data in ${args.data}; /help lists the commands`);
  const groups = await backend.listGroups();
  if (groups.length) print(`* ${groups.length} group(s); /groups lists them, /switch picks one`);

  // Lines are handled strictly in order, one at a time.
  let queue = Promise.resolve(true);
  let quitting = false;
  const done = new Promise<void>((resolveDone) => {
    const finish = () => {
      if (quitting) return;
      quitting = true;
      void queue.then(() => resolveDone());
    };
    rl.on('line', (line) => {
      queue = queue.then(async (go) => {
        if (!go || quitting) return false;
        const more = await app.handle(line);
        if (!more) finish();
        return more;
      });
    });
    rl.on('close', finish);
    process.on('SIGINT', finish);
    process.on('SIGTERM', finish);
  });
  if (tty) {
    rl.setPrompt('> ');
    rl.prompt();
  }
  await done;
  rl.close();
  await backend.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`chat: ${describeError(e)}\n`);
    process.exit(1);
  },
);
