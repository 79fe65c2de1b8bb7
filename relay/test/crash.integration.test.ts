// kill -9 while acknowledgements are in flight (relay/test/crash/harness.ts): the relay child
// is killed with SIGKILL three times at random moments of steady load on one data directory;
// every acknowledged message survives exactly once, seqs have no gap, and a reader resuming
// from its cursor gets every message once. `npm run crash-loop` runs the same with 20+ kills.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { children, runCrashLoop } from './crash/harness';

const KILLS = 3;
const dir = mkdtempSync(join(tmpdir(), 'relay-crash-'));

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('crash safety', () => {
  it(`every acknowledged message survives ${KILLS} kill -9s at random moments exactly once, with no seq gap, and readers resume from their cursors`, async () => {
    const seed = Date.now() & 0xffff;
    const r = await runCrashLoop({ kills: KILLS, dir, seed, minDelayMs: 50, maxDelayMs: 800 });
    expect(r.problems, `kill-delay seed ${seed} (npm run crash-loop -- --seed ${seed})`).toEqual([]);
    expect(r.kills).toBe(KILLS);
    expect(r.acknowledged).toBeGreaterThanOrEqual(KILLS * 50);
    expect(r.stored).toBeGreaterThanOrEqual(r.acknowledged);
    expect(r.delivered).toBe(r.stored);
  }, 180_000);
});
