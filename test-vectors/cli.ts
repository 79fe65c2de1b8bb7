// npm run vectors:generate  -> writes <file>-new.json beside each vector file (git-ignored) for a human to diff.
// npm run vectors:generate -- --write  -> overwrites the committed files (after review).
// npm run vectors:verify    -> checks every committed file on every available backend.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadSuites, VECTORS_DIR } from './registry';
import { allPrimitives } from './backends';

async function main(): Promise<number> {
  const [command, ...flags] = process.argv.slice(2);
  const suites = await loadSuites();
  if (command === 'generate') {
    for (const s of suites) {
      const target = flags.includes('--write') ? s.file : s.file.replace(/\.json$/, '-new.json');
      writeFileSync(join(VECTORS_DIR, target), JSON.stringify(s.generate(), null, 2) + '\n');
      console.log(`wrote test-vectors/${target}`);
    }
    return 0;
  }
  if (command === 'verify') {
    let failures = 0;
    const backends = await allPrimitives();
    for (const s of suites) {
      const path = join(VECTORS_DIR, s.file);
      if (!existsSync(path)) {
        console.log(`FAIL ${s.file}: missing (run npm run vectors:generate -- --write)`);
        failures++;
        continue;
      }
      const data = JSON.parse(readFileSync(path, 'utf8')) as unknown;
      for (const p of backends) {
        const mismatches = s.verify(data, p);
        const status = mismatches.length === 0 ? 'ok  ' : 'FAIL';
        console.log(`${status} ${s.file} [${p.backend}]${mismatches.length ? `: ${mismatches.length} mismatches` : ''}`);
        for (const m of mismatches.slice(0, 20)) console.log(`     ${m}`);
        failures += mismatches.length ? 1 : 0;
      }
    }
    console.log(failures === 0 ? 'all vector files verified' : `${failures} file/backend pairs failed`);
    return failures === 0 ? 0 : 1;
  }
  console.error('usage: tsx test-vectors/cli.ts generate [--write] | verify');
  return 2;
}

main().then((code) => process.exit(code));
