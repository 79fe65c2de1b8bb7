// Hang detection for the CLI: a synchronous decoder stuck in a loop never returns to the
// event loop, so a worker thread watches a heartbeat in shared memory. When the current
// input has run longer than the limit, the worker writes it to the corpus and ends the
// process with exit code 3.
import { Worker } from 'node:worker_threads';

const MAX_INPUT_BYTES = 1 << 20;

const WORKER = `
const { workerData } = require('node:worker_threads');
const { mkdirSync, writeFileSync, writeSync } = require('node:fs');
const { join } = require('node:path');
const { createHash } = require('node:crypto');
const meta = new Int32Array(workerData.meta);
const data = new Uint8Array(workerData.data);
let lastBeat = -1, since = Date.now();
setInterval(() => {
  const beat = Atomics.load(meta, 0);
  if (beat !== lastBeat) { lastBeat = beat; since = Date.now(); return; }
  if (Atomics.load(meta, 2) === 0 || Date.now() - since < workerData.limitMs) return;
  const input = data.slice(0, Atomics.load(meta, 1));
  const target = workerData.names[Atomics.load(meta, 3)];
  const dir = join(workerData.corpusDir, target);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, createHash('sha256').update(input).digest('hex').slice(0, 16) + '.bin');
  writeFileSync(file, input);
  writeSync(2, 'FAIL hang: ' + target + ' input ran over ' + workerData.limitMs + ' ms -> ' + file + '\\n');
  process.kill(process.pid, 'SIGKILL');
}, 100);
`;

export interface Watchdog {
  /** Records the input about to run (and the target index into `names`). */
  beat(targetIndex: number, input: Uint8Array): void;
  /** Marks the runner as idle (awaiting I/O is not a hang of a decoder). */
  idle(): void;
  stop(): Promise<void>;
}

export function startWatchdog(names: string[], corpusDir: string, limitMs: number): Watchdog {
  const meta = new SharedArrayBuffer(16);
  const data = new SharedArrayBuffer(MAX_INPUT_BYTES);
  const m = new Int32Array(meta);
  const d = new Uint8Array(data);
  const worker = new Worker(WORKER, { eval: true, workerData: { meta, data, names, corpusDir, limitMs } });
  worker.unref();
  return {
    beat(targetIndex, input) {
      const n = Math.min(input.length, MAX_INPUT_BYTES);
      d.set(input.subarray(0, n));
      Atomics.store(m, 1, n);
      Atomics.store(m, 3, targetIndex);
      Atomics.store(m, 2, 1);
      Atomics.add(m, 0, 1);
    },
    idle() {
      Atomics.store(m, 2, 0);
      Atomics.add(m, 0, 1);
    },
    async stop() {
      await worker.terminate();
    },
  };
}
