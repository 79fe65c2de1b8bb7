// npm run bench -- redact [--quick]: throughput of redact() over mixed Chinese group-chat
// text, in MB/s of UTF-8 input (figure schema of docs/BENCH.md). Also the streaming form
// and an adversarial input (long digit runs with separators) to show the scans stay linear.
import { utf8Encode } from '../../crypto/src/bytes';
import { defaultPolicy } from '../../crypto/src/redact/policy';
import { compilePolicy, redactCompiled } from '../../crypto/src/redact/redact';
import { createRedactionStream } from '../../crypto/src/redact/stream';
import { generated, handwritten, hardNegatives } from '../../crypto/test/redact/corpus-gen/generate';
import { Rng } from '../../crypto/test/redact/corpus-gen/rng';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emitFigure, median } from '../schema';

const here = dirname(fileURLToPath(import.meta.url));

/** Mixed chat: ordinary messages, hard negatives (numbers that are not PII) and messages with PII, in a fixed seeded order. */
function buildMix(targetChars: number): { text: string; params: Record<string, unknown> } {
  const pii = generated().map((s) => s.text);
  const hand = handwritten(readFileSync(join(here, '../../crypto/test/redact/corpus/handwritten.txt'), 'utf8')).map((s) => s.text);
  const neg = hardNegatives().map((s) => s.text);
  const rng = new Rng(2024);
  const parts: string[] = [];
  let n = 0;
  const counts = { pii: 0, handwritten: 0, negatives: 0 };
  while (n < targetChars) {
    const r = rng.int(0, 99);
    let msg: string;
    if (r < 50) {
      msg = rng.pick(hand);
      counts.handwritten++;
    } else if (r < 80) {
      msg = rng.pick(neg);
      counts.negatives++;
    } else {
      msg = rng.pick(pii);
      counts.pii++;
    }
    parts.push(msg);
    n += msg.length + 1;
  }
  const text = parts.join('\n');
  const total = counts.pii + counts.handwritten + counts.negatives;
  return {
    text,
    params: {
      mix: `${Math.round((counts.handwritten / total) * 100)}% hand-written chat, ${Math.round((counts.negatives / total) * 100)}% hard negatives, ${Math.round((counts.pii / total) * 100)}% generated PII messages`,
      messages: total,
    },
  };
}

/** Wall-clock and process CPU seconds of one call (CPU time is steadier on a shared machine). */
function time(f: () => void): { wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  f();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1e6 };
}

export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const rounds = quick ? 3 : 15;
  const chars = quick ? 200_000 : 2_000_000;
  const { text, params } = buildMix(chars);
  const bytes = utf8Encode(text).length;
  const mb = bytes / 1e6;
  const cp = compilePolicy({ ...defaultPolicy(), referenceDate: '2026-01-01' });
  const perMessage = text.split('\n');

  // Warm up the JIT on every path measured below (cold rounds would dominate a quick run).
  const warmUntil = performance.now() + (quick ? 1500 : 4000);
  while (performance.now() < warmUntil) {
    redactCompiled(text.slice(0, 50_000), cp);
    for (const m of perMessage.slice(0, 2000)) redactCompiled(m, cp);
  }
  const modes: [string, () => void][] = [
    ['per message', () => {
      for (const m of perMessage) redactCompiled(m, cp);
    }],
    ['one text', () => redactCompiled(text, cp)],
    ['stream, 4096-char chunks', () => {
      const s = createRedactionStream({ ...defaultPolicy(), referenceDate: '2026-01-01' });
      for (let i = 0; i < text.length; i += 4096) s.push(text.slice(i, i + 4096));
      s.end();
    }],
  ];
  const base = { ...params, utf8Bytes: bytes, rounds, policy: 'default (mask all)' };
  for (const [mode, f] of modes) {
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t = time(f);
      wall.push(mb / t.wall);
      cpu.push(mb / t.cpu);
    }
    emitFigure({ name: 'redact', impl: 'ours', unit: 'MB/s', value: median(wall), params: { ...base, mode, clock: 'wall' } });
    emitFigure({ name: 'redact', impl: 'ours', unit: 'MB/s', value: median(cpu), params: { ...base, mode, clock: 'process cpu' } });
  }

  // Adversarial: digits with separators, as in the linearity test.
  const rng = new Rng(99);
  const seps = ['', ' ', '-', '.', ',', ':', '@', 'X'];
  let adv = '';
  while (adv.length < 200_000) adv += rng.digits(rng.int(1, 30)) + rng.pick(seps);
  const advMb = utf8Encode(adv).length / 1e6;
  const advRates: number[] = [];
  for (let r = 0; r < rounds; r++) advRates.push(advMb / time(() => redactCompiled(adv, cp)).wall);
  emitFigure({ name: 'redact', impl: 'ours', unit: 'MB/s', value: median(advRates), params: { mode: 'adversarial digits and separators', utf8Bytes: adv.length, rounds, clock: 'wall' } });
}
