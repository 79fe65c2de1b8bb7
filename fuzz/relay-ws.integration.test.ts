// The relay's WebSocket frame handler under 5,000 mutated frames over a real loopback
// socket (the short form of `npm run fuzz -- --target relay-ws`), plus its corpus.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusOf } from './corpus';
import { fuzzTarget, runOne, TEST_INPUTS } from './engine';
import { relayWsTarget } from './targets/relay';

const t = relayWsTarget();

describe('relay-ws', () => {
  beforeAll(async () => t.open!());
  afterAll(async () => t.close!());

  it(`${TEST_INPUTS} mutated frames: typed errors or documented closes only, and the relay keeps answering`, async () => {
    const r = await fuzzTarget(t, { inputs: TEST_INPUTS, seconds: 120, budgetMs: 2000 });
    expect(r.kept.map((f) => `${f.reason} input=${Buffer.from(f.input.subarray(0, 256)).toString('hex')}`)).toEqual([]);
    expect(r.inputs).toBe(TEST_INPUTS);
    expect(r.pastFirst).toBeGreaterThan(0.4);
    expect(r.accepted).toBeGreaterThan(0);
  });

  it('replays its corpus', async () => {
    for (const { file, input } of corpusOf(t.name)) expect((await runOne(t, input, 2000)).reason, file).toBeUndefined();
  });
});
