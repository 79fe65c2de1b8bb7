// npm run bench -- group-messages [--quick]
// group-encrypt / group-decrypt (1 KiB, ops/s) for our message layer on each backend and
// for libsignal's sender keys, message-overhead (bytes), and ratio lines (docs/BENCH.md).
//
// Equivalent work on both sides: one sender, one receiver, state held in memory between
// messages (ours: the returned state objects; libsignal: an in-memory SenderKeyStore
// holding the records, no serialization), encrypt includes signing, decrypt includes the
// signature check. Ours encrypt = encryptGroupMessage + release(nextState) (the state
// handed to release is the in-memory object; persisting it is the caller's I/O, as
// libsignal's store is). Each round encrypts N fresh messages and then decrypts them in
// order (a message decrypts once); rates are the median over rounds, interleaved across
// implementations.
import {
  groupDecrypt,
  groupEncrypt,
  processSenderKeyDistributionMessage,
  ProtocolAddress,
  SenderKeyDistributionMessage,
  SenderKeyRecord,
  SenderKeyStore,
} from '@signalapp/libsignal-client';
import { decryptGroupMessage } from '../../crypto/src/message/decrypt';
import { encryptGroupMessage } from '../../crypto/src/message/encrypt';
import { startEpoch } from '../../crypto/src/message/session';
import type { ReceiverState, SenderState } from '../../crypto/src/message/state';
import { paddedLength } from '../../crypto/src/padding';
import { nodeRandom } from '../../crypto/src/primitives/random';
import { loadBackends, primitivesFor } from '../../crypto/src/primitives/select';
import type { Primitives } from '../../crypto/src/primitives/types';
import { emitFigure, emitRatio, median } from '../schema';

const BYTES = 1024;
const PARAMS = { bytes: BYTES };

function rate(count: number, ms: number): number {
  return (count * 1000) / ms;
}

/** One implementation under test: each call encrypts `count` fresh messages, then decrypts them. */
interface Runner {
  readonly impl: string;
  readonly count: number;
  round(): Promise<{ encrypt: number; decrypt: number }>;
  readonly overhead: number;
  readonly size: number;
}

function ours(p: Primitives, count: number): Runner {
  const seedA = p.randomBytes(32);
  const seedB = p.randomBytes(32);
  const members = [seedA, seedB].map((seed) => {
    const identityKey = p.ed25519PublicKey(seed);
    return { memberId: p.sha256(identityKey), identityKey };
  });
  const input = {
    groupId: p.randomBytes(16),
    epoch: 1,
    transcriptHash: p.randomBytes(32),
    senderRoot: p.randomBytes(32),
    members,
  };
  let sender: SenderState = startEpoch(p, input, members[0]!.memberId, null, { now: 0 }).senderState;
  let receiver: ReceiverState = startEpoch(p, input, members[1]!.memberId, null, { now: 0 }).receiverState;
  const plaintext = p.randomBytes(BYTES);
  const opts = { identitySeed: seedA };
  const encOne = (): Uint8Array => {
    const prepared = encryptGroupMessage(p, sender, plaintext, opts);
    sender = prepared.nextState;
    return prepared.release(sender);
  };
  // Warm up (JIT, key caches), checking the round trip.
  let size = 0;
  for (let i = 0; i < 50; i++) {
    const m = encOne();
    size = m.length;
    const r = decryptGroupMessage(p, receiver, m);
    receiver = r.nextState;
    if (r.plaintext.length !== BYTES) throw new Error('ours: round trip failed');
  }
  const msgs: Uint8Array[] = new Array(count);
  return {
    impl: `ours-${p.backend}`,
    count,
    overhead: size - paddedLength(BYTES),
    size,
    async round() {
      let t = performance.now();
      for (let i = 0; i < count; i++) msgs[i] = encOne();
      const encrypt = rate(count, performance.now() - t);
      t = performance.now();
      for (let i = 0; i < count; i++) receiver = decryptGroupMessage(p, receiver, msgs[i]!).nextState;
      return { encrypt, decrypt: rate(count, performance.now() - t) };
    },
  };
}

class MemorySenderKeyStore extends SenderKeyStore {
  private readonly records = new Map<string, SenderKeyRecord>();
  private key(sender: ProtocolAddress, distributionId: string): string {
    return `${sender.name()}.${sender.deviceId()}:${distributionId}`;
  }
  async saveSenderKey(sender: ProtocolAddress, distributionId: string, record: SenderKeyRecord): Promise<void> {
    this.records.set(this.key(sender, distributionId), record);
  }
  async getSenderKey(sender: ProtocolAddress, distributionId: string): Promise<SenderKeyRecord | null> {
    return this.records.get(this.key(sender, distributionId)) ?? null;
  }
}

async function libsignal(count: number): Promise<Runner> {
  const alice = ProtocolAddress.new('9d0652a3-dcc3-4d11-975f-74d61598733f', 1);
  const distributionId = 'd1d1d1d1-7000-11eb-b32a-33b8a8a487a6';
  const aliceStore = new MemorySenderKeyStore();
  const bobStore = new MemorySenderKeyStore();
  const skdm = await SenderKeyDistributionMessage.create(alice, distributionId, aliceStore);
  await processSenderKeyDistributionMessage(alice, SenderKeyDistributionMessage.deserialize(skdm.serialize()), bobStore);
  const plaintext = new Uint8Array(nodeRandom(BYTES));
  const encOne = async (): Promise<Uint8Array<ArrayBuffer>> => (await groupEncrypt(alice, distributionId, aliceStore, plaintext)).serialize();
  let size = 0;
  for (let i = 0; i < 50; i++) {
    const m = await encOne();
    size = m.length;
    const pt = await groupDecrypt(alice, bobStore, m);
    if (pt.length !== BYTES) throw new Error('libsignal: round trip failed');
  }
  const msgs: Uint8Array<ArrayBuffer>[] = new Array(count);
  return {
    impl: 'libsignal',
    count,
    overhead: size - BYTES,
    size,
    async round() {
      let t = performance.now();
      for (let i = 0; i < count; i++) msgs[i] = await encOne();
      const encrypt = rate(count, performance.now() - t);
      t = performance.now();
      for (let i = 0; i < count; i++) await groupDecrypt(alice, bobStore, msgs[i]!);
      return { encrypt, decrypt: rate(count, performance.now() - t) };
    },
  };
}

export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const rounds = quick ? 3 : 9;
  const fast = quick ? 300 : 3000;
  const slow = quick ? 60 : 600;
  const raw = await loadBackends();
  const runners: Runner[] = [];
  for (const name of ['node', 'sodium', 'noble'] as const) {
    if (raw.some((b) => b.name === name)) runners.push(ours(primitivesFor(name, nodeRandom), name === 'noble' ? slow : fast));
  }
  runners.push(await libsignal(fast));
  // Rounds are interleaved across implementations, so a change in machine load hits all
  // of them alike and the ratios stay meaningful on a noisy machine.
  const enc = new Map<string, number[]>(runners.map((r) => [r.impl, []]));
  const dec = new Map<string, number[]>(runners.map((r) => [r.impl, []]));
  for (let round = 0; round < rounds; round++) {
    for (const r of runners) {
      const { encrypt, decrypt } = await r.round();
      enc.get(r.impl)!.push(encrypt);
      dec.get(r.impl)!.push(decrypt);
    }
  }
  const results: Record<string, { encrypt: number; decrypt: number }> = {};
  for (const r of runners) {
    const e = median(enc.get(r.impl)!);
    const d = median(dec.get(r.impl)!);
    results[r.impl] = { encrypt: e, decrypt: d };
    emitFigure({ name: 'group-encrypt', impl: r.impl, unit: 'ops/s', value: e, params: PARAMS });
    emitFigure({ name: 'group-decrypt', impl: r.impl, unit: 'ops/s', value: d, params: PARAMS });
  }
  const oursAny = runners.find((r) => r.impl.startsWith('ours-'));
  if (oursAny) {
    emitFigure({ name: 'message-overhead', impl: 'ours', unit: 'bytes', value: oursAny.overhead, params: { ...PARAMS, padding: 'excluded' } });
    emitFigure({ name: 'message-size', impl: 'ours', unit: 'bytes', value: oursAny.size, params: { ...PARAMS, padding: 'Padme, included' } });
  }
  const ls = runners.find((r) => r.impl === 'libsignal')!;
  emitFigure({ name: 'message-overhead', impl: 'libsignal', unit: 'bytes', value: ls.overhead, params: { ...PARAMS, padding: 'AES-CBC PKCS#7, included' } });
  emitFigure({ name: 'message-size', impl: 'libsignal', unit: 'bytes', value: ls.size, params: PARAMS });
  const node = results['ours-node'];
  const lib = results['libsignal']!;
  if (node) {
    emitRatio('group-encrypt/ours-node', 'group-encrypt/libsignal', node.encrypt / lib.encrypt, PARAMS);
    emitRatio('group-decrypt/ours-node', 'group-decrypt/libsignal', node.decrypt / lib.decrypt, PARAMS);
  }
}
