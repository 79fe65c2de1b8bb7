// npm run fuzz -- [--target name[,name]] [--inputs N] [--seconds S] [--seed text] [--budget-ms M] [--list] [--markdown]
// Defaults: every target, 100,000 inputs each, at most 300 s per target, 1,000 ms per input.
import { join } from 'node:path';
import { fuzzTarget, type TargetReport } from './engine';
import { ROOT } from './seeds';
import { allTargets } from './targets/index';
import { startWatchdog } from './watchdog';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const targets = allTargets();
if (process.argv.includes('--list')) {
  for (const t of targets) console.log(`${t.name.padEnd(28)} ${t.entry}`);
  process.exit(0);
}
const only = arg('--target')?.split(',');
const chosen = only ? targets.filter((t) => only.includes(t.name)) : targets;
if (only && chosen.length !== only.length) {
  console.error(`unknown target in ${only.join(',')}; --list shows the names`);
  process.exit(2);
}
const inputs = Number(arg('--inputs') ?? 100_000);
const seconds = Number(arg('--seconds') ?? 300);
const budgetMs = Number(arg('--budget-ms') ?? 1000);
const corpusDir = join(ROOT, 'fuzz', 'corpus');
// A synchronous input stuck for 10x the budget is a hang: the watchdog saves it and kills the run.
const watchdog = startWatchdog(targets.map((t) => t.name), corpusDir, budgetMs * 10);
const reports: TargetReport[] = [];
for (const t of chosen) {
  const index = targets.indexOf(t);
  await t.open?.();
  try {
    const r = await fuzzTarget(t, { inputs, seconds, seed: arg('--seed') ?? 'wxe2ee fuzz', budgetMs, corpusDir, beforeInput: (input) => watchdog.beat(index, input) });
    watchdog.idle();
    reports.push(r);
    console.log(
      `${r.target.padEnd(28)} inputs ${String(r.inputs).padStart(7)}  past-first ${(100 * r.pastFirst).toFixed(1).padStart(5)}%  accepted ${(100 * r.acceptedFraction).toFixed(2).padStart(6)}%  max ${r.maxMs.toFixed(1).padStart(6)} ms  heap ${(r.heapGrowthBytes / 1048576).toFixed(1).padStart(5)} MiB${r.gcExposed ? '' : ' (no gc)'}  ${r.seconds.toFixed(1)} s  failures ${r.failures}`,
    );
    for (const f of r.kept) console.log(`  FAIL ${f.reason}${f.file ? ` -> ${f.file}` : ''}`);
  } finally {
    await t.close?.();
  }
}
await watchdog.stop();
if (process.argv.includes('--markdown')) {
  console.log('\n| target | inputs | past first check | accepted | max ms/input | heap growth MiB | s | failures |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of reports) {
    console.log(
      `| \`${r.target}\` | ${r.inputs} | ${(100 * r.pastFirst).toFixed(1)}% | ${(100 * r.acceptedFraction).toFixed(2)}% | ${r.maxMs.toFixed(1)} | ${(r.heapGrowthBytes / 1048576).toFixed(1)} | ${r.seconds.toFixed(0)} | ${r.failures} |`,
    );
  }
}
const failed = reports.filter((r) => r.failures > 0);
console.log(`${reports.length} targets, ${reports.reduce((n, r) => n + r.inputs, 0)} inputs, ${failed.length} with failures`);
process.exit(failed.length ? 1 : 0);
