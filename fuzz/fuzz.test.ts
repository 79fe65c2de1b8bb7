// The short form of `npm run fuzz`: 5,000 seeded, deterministic inputs per target (the
// relay's WebSocket target is in relay-ws.integration.test.ts), plus a replay of every
// corpus input. Each failure message carries the input in hex for reproduction.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2eeError } from '../crypto/src/errors';
import { corpusOf, orphanCorpusDirs } from './corpus';
import { fuzzTarget, runOne, TEST_INPUTS } from './engine';
import { decodeStage, type Target } from './target';
import { allTargets } from './targets/index';

const targets = allTargets();
const offline = targets.filter((t) => t.name !== 'relay-ws');

function hex(b: Uint8Array): string {
  return Buffer.from(b.subarray(0, 256)).toString('hex') + (b.length > 256 ? '…' : '');
}

describe('fuzz targets (5,000 inputs each)', () => {
  for (const t of offline) {
    describe(t.name, () => {
      beforeAll(async () => t.open?.());
      afterAll(async () => t.close?.());

      it(`${TEST_INPUTS} mutated inputs: typed rejections only, no hang`, async () => {
        const r = await fuzzTarget(t, { inputs: TEST_INPUTS, seconds: 120, budgetMs: 2000 });
        expect(r.kept.map((f) => `${f.reason} input=${hex(f.input)}`)).toEqual([]);
        expect(r.inputs).toBe(TEST_INPUTS);
        // Mutations of valid seeds must mostly get past the first check, or the target fuzzes only its front door.
        expect(r.pastFirst).toBeGreaterThan(0.4);
        expect(r.accepted).toBeGreaterThan(0);
      });

      it('replays its corpus', async () => {
        for (const { file, input } of corpusOf(t.name)) {
          const r = await runOne(t, input, 2000);
          expect(r.reason, file).toBeUndefined();
        }
      });
    });
  }

  it('every corpus folder belongs to a target', () => {
    expect(orphanCorpusDirs(targets.map((t) => t.name))).toEqual([]);
  });
});

describe('the harness detects what it must', () => {
  const broken = (run: Target['run']): Target => ({ name: 'broken', entry: 'test', firstCheck: 'test', seeds: () => [Uint8Array.of(1, 2, 3)], run });

  it('an untyped exception (TypeError from a decoder) is a failure; an E2eeError is not', async () => {
    const typeError = await fuzzTarget(
      broken((input) => decodeStage(() => (input.length > 2 ? JSON.parse('{') : 1), ['version'])),
      { inputs: 200, seconds: 10 },
    );
    expect(typeError.failures).toBeGreaterThan(0);
    expect(typeError.kept[0]!.reason).toMatch(/SyntaxError/);
    const typed = await fuzzTarget(
      broken(() =>
        decodeStage(() => {
          throw new E2eeError('E2E_ERR_MALFORMED', 'x: version: bad', 'decode x');
        }, ['version']),
      ),
      { inputs: 200, seconds: 10 },
    );
    expect(typed.failures).toBe(0);
    expect(typed.first).toBe(200);
  });

  it('an input over the time budget is a failure (hang), sync or async', async () => {
    const slow = await runOne(broken(() => {
      const t = performance.now();
      while (performance.now() - t < 30);
      return 'accepted';
    }), new Uint8Array(1), 10);
    expect(slow.reason).toMatch(/^slow/);
    const never = await runOne(broken(() => new Promise(() => undefined)), new Uint8Array(1), 10);
    expect(never.reason).toMatch(/hang/);
  });

  it('runs are deterministic: the same seed gives the same counts', async () => {
    const t = targets.find((x) => x.name === 'log-entry')!;
    const a = await fuzzTarget(t, { inputs: 500, seconds: 30 });
    const b = await fuzzTarget(t, { inputs: 500, seconds: 30 });
    expect([a.first, a.later, a.accepted]).toEqual([b.first, b.later, b.accepted]);
  });
});
