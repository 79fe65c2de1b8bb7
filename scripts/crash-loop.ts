// npm run crash-loop -- [--kills N] [--seed S] [--max-delay-ms M] [--keep]
// Kills a relay child process with SIGKILL N times (default 20) at random moments of steady
// load on one SQLite data directory, then checks that every acknowledged message is stored
// exactly once with gap-free seqs and that a reader resuming from its cursor got each once.
// relay/test/crash/harness.ts has the loop and the checks; npm test runs it with 3 kills.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { children, runCrashLoop } from '../relay/test/crash/harness';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 0) {
    console.error(`${name} needs a non-negative integer`);
    process.exit(2);
  }
  return v;
}

const kills = arg('--kills', 20);
const seed = arg('--seed', Date.now() & 0xffff);
const dir = mkdtempSync(join(tmpdir(), 'relay-crash-loop-'));
const cleanup = () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
};
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

console.log(`crash loop: ${kills} SIGKILLs, seed ${seed}, data in ${dir}`);
try {
  const r = await runCrashLoop({ kills, dir, seed, maxDelayMs: arg('--max-delay-ms', 1500), log: (l) => console.log(l) });
  console.log(
    `kills ${r.kills}  acknowledged ${r.acknowledged}  stored ${r.stored}  duplicate acks after re-send ${r.duplicateAcks}  delivered to the resuming reader ${r.delivered}  ${r.seconds.toFixed(1)} s`,
  );
  if (r.problems.length) {
    for (const p of r.problems.slice(0, 20)) console.log(`PROBLEM ${p}`);
    process.exitCode = 1;
  } else console.log('every acknowledged message stored exactly once, seqs gap-free, reader resumed from its cursor with nothing lost or repeated');
} finally {
  cleanup();
}
