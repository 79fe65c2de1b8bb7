// Sender chain vectors: chain key 0 from the sender root, then for generations 0, 1, 15
// and 1000 the chain key, the message key and nonce, and the next chain key
// (crypto/src/message/chain.ts, test-vectors/README.md "sender-chain.json").
import { bytesToHex, hexToBytes } from '../../crypto/src/bytes';
import { initialChainKey, messageKeyNonce, nextChainKey, senderChainContext } from '../../crypto/src/message/chain';
import { createPrimitives } from '../../crypto/src/primitives/index';
import { nobleBackend } from '../../crypto/src/primitives/noble';
import type { Primitives } from '../../crypto/src/primitives/types';
import { seededRandom } from '../seeded-random';
import type { VectorSuite } from '../suite';

const GENERATIONS = [0, 1, 15, 1000];

interface GenerationVector {
  generation: number;
  chainKey: string;
  messageKey: string;
  nonce: string;
  nextChainKey: string;
}
interface ChainTest {
  tcId: number;
  comment: string;
  senderRoot: string;
  groupId: string;
  epoch: number;
  memberId: string;
  context: string;
  chainKey0: string;
  generations: GenerationVector[];
  result: 'valid';
}

function compute(p: Primitives, senderRoot: Uint8Array, groupId: Uint8Array, epoch: number, memberId: Uint8Array) {
  const ck0 = initialChainKey(p, senderRoot, groupId, epoch, memberId);
  const gens: GenerationVector[] = [];
  let ck = ck0;
  for (let g = 0; g <= GENERATIONS[GENERATIONS.length - 1]!; g++) {
    const next = nextChainKey(p, ck);
    if (GENERATIONS.includes(g)) {
      const kn = messageKeyNonce(p, ck);
      gens.push({
        generation: g,
        chainKey: bytesToHex(ck),
        messageKey: bytesToHex(kn.subarray(0, 32)),
        nonce: bytesToHex(kn.subarray(32)),
        nextChainKey: bytesToHex(next),
      });
    }
    ck = next;
  }
  return { context: bytesToHex(senderChainContext(groupId, epoch, memberId)), chainKey0: bytesToHex(ck0), generations: gens };
}

export const suite: VectorSuite = {
  file: 'sender-chain.json',
  generate() {
    const rnd = seededRandom('wxe2ee sender-chain vectors');
    const p = createPrimitives(nobleBackend, rnd);
    const tests: ChainTest[] = [];
    const cases: [string, number][] = [
      ['epoch 0', 0],
      ['epoch 7', 7],
      ['epoch 2^32-1 (largest)', 0xffffffff],
    ];
    cases.forEach(([comment, epoch], i) => {
      const senderRoot = rnd(32);
      const groupId = rnd(16);
      const memberId = rnd(32);
      tests.push({
        tcId: i + 1,
        comment,
        senderRoot: bytesToHex(senderRoot),
        groupId: bytesToHex(groupId),
        epoch,
        memberId: bytesToHex(memberId),
        ...compute(p, senderRoot, groupId, epoch, memberId),
        result: 'valid',
      });
    });
    return {
      description:
        'Sender chains: chainKey0 = ExpandWithLabel(senderRoot, "sender chain", groupId || u32(epoch) || memberId, 32); per generation ' +
        'key||nonce = ExpandWithLabel(chainKey, "message key", "", 56), next = ExpandWithLabel(chainKey, "chain next", "", 32).',
      generations: GENERATIONS,
      tests,
    };
  },
  verify(data, p) {
    const out: string[] = [];
    const d = data as { tests?: ChainTest[] };
    if (!Array.isArray(d.tests) || d.tests.length === 0) return ['no tests'];
    for (const t of d.tests) {
      if (t.result !== 'valid') {
        out.push(`tcId ${t.tcId}: unknown test result ${String(t.result)}`);
        continue;
      }
      const got = compute(p, hexToBytes(t.senderRoot), hexToBytes(t.groupId), t.epoch, hexToBytes(t.memberId));
      if (got.context !== t.context) out.push(`tcId ${t.tcId}: context: expected ${t.context}, got ${got.context}`);
      if (got.chainKey0 !== t.chainKey0) out.push(`tcId ${t.tcId}: chainKey0: expected ${t.chainKey0}, got ${got.chainKey0}`);
      if (t.generations.length !== GENERATIONS.length) out.push(`tcId ${t.tcId}: generations: expected ${GENERATIONS.length} entries`);
      t.generations.forEach((g, i) => {
        const w = got.generations[i];
        if (!w || w.generation !== g.generation) {
          out.push(`tcId ${t.tcId}: generation ${g.generation} missing`);
          return;
        }
        for (const k of ['chainKey', 'messageKey', 'nonce', 'nextChainKey'] as const) {
          if (w[k] !== g[k]) out.push(`tcId ${t.tcId}: generation ${g.generation}: ${k}: expected ${g[k]}, got ${w[k]}`);
        }
      });
    }
    return out;
  },
};
