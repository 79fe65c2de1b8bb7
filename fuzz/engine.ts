// The fuzz loop: deterministic inputs for one target, outcome counts, time per input,
// heap growth, and failing inputs written to fuzz/corpus/<target>/.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nextInput } from './mutate';
import { Prng } from './prng';
import type { Stage, Target } from './target';

export interface RunOptions {
  /** Inputs to try (the run also stops at `seconds`). */
  inputs: number;
  /** Wall-clock bound for this target, seconds. */
  seconds: number;
  /** PRNG seed string; the default makes runs reproducible. */
  seed?: string;
  /** An input slower than this is a failure (a hang), milliseconds. */
  budgetMs?: number;
  /** Where failing inputs go; none written when absent. */
  corpusDir?: string;
  /** Called before each input (the CLI's watchdog records it). */
  beforeInput?: (input: Uint8Array) => void;
  /** Failures kept in the report (all are counted). */
  maxFailuresKept?: number;
}

export interface Failure {
  input: Uint8Array;
  reason: string;
  file?: string;
}

export interface TargetReport {
  target: string;
  inputs: number;
  first: number;
  later: number;
  accepted: number;
  failures: number;
  kept: Failure[];
  /** (later + accepted) / inputs */
  pastFirst: number;
  /** accepted / inputs */
  acceptedFraction: number;
  maxMs: number;
  seconds: number;
  /** Heap used after the run minus before (after a GC when --expose-gc is on), bytes. */
  heapGrowthBytes: number;
  gcExposed: boolean;
}

export const DEFAULT_BUDGET_MS = 1000;
/** Inputs per target in `npm test` (the CLI's default is 100,000). */
export const TEST_INPUTS = 5000;

function heapNow(): { bytes: number; gc: boolean } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  return { bytes: process.memoryUsage().heapUsed, gc: gc !== undefined };
}

export function describeError(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return `${e.name}${code !== undefined ? `(${String(code)})` : ''}: ${e.message}`.slice(0, 300);
  }
  return `non-Error thrown: ${String(e)}`.slice(0, 300);
}

/** Writes a failing input as fuzz/corpus/<target>/<sha256 prefix>.bin; returns the path. */
export function saveToCorpus(corpusDir: string, target: string, input: Uint8Array): string {
  const dir = join(corpusDir, target);
  mkdirSync(dir, { recursive: true });
  const name = `${createHash('sha256').update(input).digest('hex').slice(0, 16)}.bin`;
  const file = join(dir, name);
  writeFileSync(file, input);
  return file;
}

/** Runs one input with the time budget; returns the stage or a failure reason. */
export async function runOne(target: Target, input: Uint8Array, budgetMs: number): Promise<{ stage?: Stage; reason?: string; ms: number }> {
  const t0 = performance.now();
  let stage: Stage | undefined;
  let reason: string | undefined;
  try {
    const r = target.run(input);
    if (typeof r === 'string') stage = r;
    else {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`hang: no outcome within ${budgetMs} ms`)), budgetMs * 5);
      });
      try {
        stage = await Promise.race([r, timeout]);
      } finally {
        clearTimeout(timer);
      }
    }
  } catch (e) {
    reason = describeError(e);
  }
  const ms = performance.now() - t0;
  if (reason === undefined && ms > budgetMs) reason = `slow: ${ms.toFixed(1)} ms for one input (budget ${budgetMs} ms)`;
  return { ...(stage !== undefined ? { stage } : {}), ...(reason !== undefined ? { reason } : {}), ms };
}

export async function fuzzTarget(target: Target, opts: RunOptions): Promise<TargetReport> {
  const budgetMs = opts.budgetMs ?? DEFAULT_BUDGET_MS;
  const keep = opts.maxFailuresKept ?? 20;
  const rng = new Prng(`${opts.seed ?? 'wxe2ee fuzz'} ${target.name}`);
  const seeds = await target.seeds();
  const counts = { first: 0, later: 0, accepted: 0, failures: 0 };
  const kept: Failure[] = [];
  let maxMs = 0;
  let n = 0;
  const heapBefore = heapNow();
  const started = performance.now();
  const deadline = started + opts.seconds * 1000;
  while (n < opts.inputs && performance.now() < deadline) {
    let input = target.mutate && seeds.length > 0 && rng.chance(0.6) ? target.mutate(rng, rng.pick(seeds)) : nextInput(rng, seeds);
    if (target.fixup && rng.chance(0.85)) input = target.fixup(input);
    opts.beforeInput?.(input);
    const r = await runOne(target, input, budgetMs);
    n++;
    if (r.ms > maxMs) maxMs = r.ms;
    if (r.reason !== undefined) {
      counts.failures++;
      if (kept.length < keep) {
        const f: Failure = { input, reason: r.reason };
        if (opts.corpusDir) f.file = saveToCorpus(opts.corpusDir, target.name, input);
        kept.push(f);
      }
    } else counts[r.stage!]++;
  }
  const seconds = (performance.now() - started) / 1000;
  const heapAfter = heapNow();
  return {
    target: target.name,
    inputs: n,
    ...counts,
    kept,
    pastFirst: n ? (counts.later + counts.accepted) / n : 0,
    acceptedFraction: n ? counts.accepted / n : 0,
    maxMs,
    seconds,
    heapGrowthBytes: heapAfter.bytes - heapBefore.bytes,
    gcExposed: heapAfter.gc,
  };
}
