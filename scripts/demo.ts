// npm run demo [-- --data-dir DIR] [--keep] [--relay URL --relay-data-dir DIR] [--verbose]
//
// Starts a relay (SQLite, loopback, its own process) unless --relay points at one, runs the
// scripted conversation of demo/scenario.ts between four member processes, prints the
// transcript and ends with a scan of the relay's files. Exit code 0 only when every check
// passed.
import { runDemo, type DemoOptions } from '../demo/scenario';

const USAGE = `Usage: npm run demo -- [flags]

  --data-dir DIR        keep the relay's and the members' files in DIR (default: a temp dir, deleted)
  --keep                keep the temp dir and print where it is
  --relay URL           use a running relay (http://host:port) instead of starting one
  --relay-data-dir DIR  that relay's data directory, to scan its files at the end
  --verbose             print the member processes' diagnostics on stderr
`;

function parse(argv: string[]): DemoOptions | null {
  const opts: DemoOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--help' || a === '-h') return null;
    else if (a === '--data-dir') opts.dataDir = value();
    else if (a === '--keep') opts.keep = true;
    else if (a === '--relay') opts.relayUrl = value();
    else if (a === '--relay-data-dir') opts.relayDataDir = value();
    else if (a === '--verbose') opts.diagnostics = (line) => process.stderr.write(`${line}\n`);
    else throw new Error(`unknown flag ${a}`);
  }
  if (opts.relayUrl && !/^https?:\/\/[^/]+\/?$/.test(opts.relayUrl)) throw new Error('--relay takes http://host:port');
  if (opts.relayDataDir && !opts.relayUrl) throw new Error('--relay-data-dir goes with --relay');
  return opts;
}

let opts: DemoOptions | null;
try {
  opts = parse(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`demo: ${(e as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (!opts) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const result = await runDemo(opts);
process.exit(result.ok ? 0 : 1);
