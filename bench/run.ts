// npm run bench [-- suite ...]: runs bench/suites/<suite>.ts in order, each printing
// JSON lines in the schema of docs/BENCH.md. With no argument, runs the default set.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(join(here, 'suites'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.replace(/\.ts$/, ''))
  .sort();
/** Suites with their own npm script (they start servers or child processes). */
const SEPARATE = new Set(['relay', 'client-search', 'client-catchup', 'client-send-latency', 'miniprogram']);

// Numbers are flag values (`--instances 3`, `--instances 1,2,3`), never suite names.
const requested = process.argv.slice(2).filter((a) => !a.startsWith('--') && !/^[\d,]+$/.test(a));
const selected = requested.length ? requested : available.filter((s) => !SEPARATE.has(s));
for (const name of selected) {
  if (!available.includes(name)) {
    console.error(`unknown bench suite "${name}"; available: ${available.join(', ')}`);
    process.exit(2);
  }
  const mod = (await import(pathToFileURL(join(here, 'suites', `${name}.ts`)).href)) as { run?: (args: string[]) => Promise<void> };
  if (typeof mod.run !== 'function') throw new Error(`bench/suites/${name}.ts must export run(args)`);
  await mod.run(process.argv.slice(2));
}
