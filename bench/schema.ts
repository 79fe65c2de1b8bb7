// The one output schema of every benchmark (docs/BENCH.md): one JSON line per figure.
export interface FigureLine {
  name: string;
  impl: string;
  unit: string;
  value: number;
  params: Record<string, unknown>;
}

export interface RatioLine {
  name: 'ratio';
  of: string;
  to: string;
  value: number;
  params?: Record<string, unknown>;
}

/** Round to 3 significant figures past the point, enough for noisy machines. */
function round(value: number): number {
  if (!Number.isFinite(value)) throw new RangeError(`benchmark value is not finite: ${value}`);
  return Math.abs(value) >= 100 ? Math.round(value) : Number(value.toPrecision(4));
}

export function emitFigure(line: FigureLine): FigureLine {
  const out = { ...line, value: round(line.value) };
  process.stdout.write(JSON.stringify(out) + '\n');
  return out;
}

/** `of` and `to` name figures as "name/impl", e.g. "group-encrypt/ours-node". */
export function emitRatio(of: string, to: string, value: number, params?: Record<string, unknown>): RatioLine {
  const out: RatioLine = { name: 'ratio', of, to, value: round(value), ...(params ? { params } : {}) };
  process.stdout.write(JSON.stringify(out) + '\n');
  return out;
}

export function median(values: number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function percentile(values: number[], q: number): number {
  if (values.length === 0) throw new RangeError('percentile of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx]!;
}

/**
 * Runs `op` repeatedly for about `ms` milliseconds per round, `rounds` times, and
 * returns the median rate in operations per second. `batch` calls per timing check.
 */
export function measureOpsPerSecond(op: () => void, opts: { rounds?: number; ms?: number; batch?: number } = {}): number {
  const rounds = opts.rounds ?? 5;
  const ms = opts.ms ?? 300;
  const batch = opts.batch ?? 16;
  for (let i = 0; i < batch * 4; i++) op(); // warm up the JIT
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let count = 0;
    const start = performance.now();
    let now = start;
    while (now - start < ms) {
      for (let i = 0; i < batch; i++) op();
      count += batch;
      now = performance.now();
    }
    rates.push((count * 1000) / (now - start));
  }
  return median(rates);
}
