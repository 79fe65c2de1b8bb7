// Storage stability of the message layer's state: bytes written by this version (state
// version 1) that every later version must still load and use
// (crypto/src/message/state.ts, test-vectors/README.md "storage-stability-message.json").
import { bytesToHex, hexToBytes, utf8Encode } from '../../crypto/src/bytes';
import { isE2eeError } from '../../crypto/src/errors';
import { decryptGroupMessage } from '../../crypto/src/message/decrypt';
import { encryptGroupMessage } from '../../crypto/src/message/encrypt';
import { startEpoch } from '../../crypto/src/message/session';
import {
  decodeReceiverState,
  decodeSenderState,
  encodeReceiverState,
  encodeSenderState,
  REVOKED,
  type ReceiverState,
} from '../../crypto/src/message/state';
import { createPrimitives } from '../../crypto/src/primitives/index';
import { nobleBackend } from '../../crypto/src/primitives/noble';
import type { Primitives } from '../../crypto/src/primitives/types';
import { seededRandom } from '../seeded-random';
import type { VectorSuite } from '../suite';
import { epochStates, makeGroup, sendAt, type GroupParams } from './message';

interface SenderStateTest {
  tcId: number;
  comment: string;
  state: string;
  fields: { epoch: number; senderIndex: number; generation: number };
  /** Encrypting `plaintext` with the loaded state (identity seed of group.members[member]) gives `message`. */
  continuation: { member: number; plaintext: string; message: string };
  result: 'valid';
}
interface ReceiverStateTest {
  tcId: number;
  comment: string;
  state: string;
  fields: { epochs: number[]; retiredAt: (number | null)[]; skippedKeys: number; revokedChains: number; nextSkippedSeq: number };
  /** Decrypting each message with the loaded state (in order) gives each plaintext, or the error. */
  continuation: { message: string; plaintext: string | null; error: string | null }[];
  result: 'valid';
}
interface InvalidStateTest {
  tcId: number;
  comment: string;
  kind: 'sender' | 'receiver';
  state: string;
  result: 'invalid';
  error: string;
}

function receiverFields(s: ReceiverState): ReceiverStateTest['fields'] {
  return {
    epochs: s.epochs.map((e) => e.epoch),
    retiredAt: s.epochs.map((e) => e.retiredAt),
    skippedKeys: s.epochs.reduce((n, e) => n + e.chains.reduce((m, c) => m + (c && c !== REVOKED ? c.skipped.length : 0), 0), 0),
    revokedChains: s.epochs.reduce((n, e) => n + e.chains.filter((c) => c === REVOKED).length, 0),
    nextSkippedSeq: s.nextSkippedSeq,
  };
}

function errorOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    return isE2eeError(e) ? e.code : `non-E2eeError ${String(e)}`;
  }
}

export const suite: VectorSuite = {
  file: 'storage-stability-message.json',
  generate() {
    const rnd = seededRandom('wxe2ee storage-stability-message vectors');
    const p = createPrimitives(nobleBackend, rnd);
    const group = makeGroup(p, rnd, 3, 41);
    // Epoch 42 removes member 2: its chain in epoch 41 is revoked.
    const next: GroupParams = { ...group, epoch: 42, transcriptHash: bytesToHex(rnd(32)), senderRoot: bytesToHex(rnd(32)), members: group.members.slice(0, 2) };
    const txt = (s: string) => utf8Encode(s);

    // Sender state of member 0 after three messages.
    const sender = { ...epochStates(p, group, 0).senderState };
    let s = sender;
    for (let i = 0; i < 3; i++) s = encryptGroupMessage(p, s, txt(`m${i}`), { identitySeed: hexToBytes(group.members[0]!.seed) }).nextState;
    const contPlain = txt('after reload');
    const contMessage = sendAt(p, group, 0, 3, contPlain);

    // Receiver state of member 1: epoch 41 with skipped keys, then epoch 42 current.
    let r = epochStates(p, group, 1).receiverState;
    const m = [0, 1, 2, 3, 4].map((g) => sendAt(p, group, 0, g, txt(`g${g}`)));
    r = decryptGroupMessage(p, r, m[4]!).nextState; // generations 0..3 skipped
    r = decryptGroupMessage(p, r, m[1]!).nextState;
    r = decryptGroupMessage(p, r, sendAt(p, group, 2, 1, txt('c1'))).nextState; // generation 0 of member 2 skipped
    r = startEpoch(p, {
      groupId: hexToBytes(next.groupId), epoch: next.epoch, transcriptHash: hexToBytes(next.transcriptHash), senderRoot: hexToBytes(next.senderRoot),
      members: next.members.map((x) => ({ memberId: hexToBytes(x.memberId), identityKey: hexToBytes(x.identityKey) })),
    }, hexToBytes(group.members[1]!.memberId), r, { now: 1_700_000_000_000 }).receiverState;
    const receiverCont = [
      { message: m[2]!, plaintext: bytesToHex(txt('g2')), error: null },
      { message: sendAt(p, group, 2, 0, txt('c0')), plaintext: null, error: 'E2E_ERR_SENDER_REMOVED' },
      { message: sendAt(p, next, 0, 0, txt('new epoch')), plaintext: bytesToHex(txt('new epoch')), error: null },
    ];

    const senderBytes = encodeSenderState(s);
    const receiverBytes = encodeReceiverState(r);
    const v2 = (b: Uint8Array) => Uint8Array.from([2, ...b.subarray(1)]);
    const data = {
      description: 'Message-layer state written by state version 1. Load, re-encode (must be identical), then continue.',
      group,
      nextEpoch: next,
      sender: [{
        tcId: 1, comment: 'sender state of member 0 after three messages in epoch 41', state: bytesToHex(senderBytes),
        fields: { epoch: s.epoch, senderIndex: s.senderIndex, generation: s.generation },
        continuation: { member: 0, plaintext: bytesToHex(contPlain), message: bytesToHex(contMessage) }, result: 'valid' as const,
      }] satisfies SenderStateTest[],
      receiver: [{
        tcId: 2, comment: 'receiver state of member 1: epoch 42 current, epoch 41 retired with skipped keys of member 0 and the revoked chain of member 2 (removed by epoch 42)', state: bytesToHex(receiverBytes),
        fields: receiverFields(r),
        continuation: receiverCont.map((c) => ({ ...c, message: bytesToHex(c.message) })), result: 'valid' as const,
      }] satisfies ReceiverStateTest[],
      invalid: [
        { tcId: 101, comment: 'sender state with version byte 2', kind: 'sender', state: bytesToHex(v2(senderBytes)), result: 'invalid', error: 'E2E_ERR_UNSUPPORTED_VERSION' },
        { tcId: 102, comment: 'receiver state with version byte 2', kind: 'receiver', state: bytesToHex(v2(receiverBytes)), result: 'invalid', error: 'E2E_ERR_UNSUPPORTED_VERSION' },
        { tcId: 103, comment: 'a receiver state loaded as a sender state', kind: 'sender', state: bytesToHex(receiverBytes), result: 'invalid', error: 'E2E_ERR_MALFORMED' },
        { tcId: 104, comment: 'sender state with a trailing byte', kind: 'sender', state: bytesToHex(senderBytes) + '00', result: 'invalid', error: 'E2E_ERR_MALFORMED' },
      ] satisfies InvalidStateTest[],
    };
    const problems = suite.verify(data, p);
    if (problems.length) throw new Error(`storage-stability-message vectors do not behave as labelled: ${problems.join('; ')}`);
    return data;
  },
  verify(data, p: Primitives) {
    const out: string[] = [];
    const d = data as { group?: GroupParams; sender?: SenderStateTest[]; receiver?: ReceiverStateTest[]; invalid?: InvalidStateTest[] };
    if (!d.group || !d.sender?.length || !d.receiver?.length || !d.invalid?.length) return ['no tests'];
    for (const t of d.sender) {
      const bytes = hexToBytes(t.state);
      let st;
      try {
        st = decodeSenderState(bytes);
      } catch (e) {
        out.push(`tcId ${t.tcId}: does not load: ${String(e)}`);
        continue;
      }
      if (bytesToHex(encodeSenderState(st)) !== t.state) out.push(`tcId ${t.tcId}: re-encoding differs`);
      for (const k of ['epoch', 'senderIndex', 'generation'] as const) if (st[k] !== t.fields[k]) out.push(`tcId ${t.tcId}: ${k}: expected ${t.fields[k]}, got ${st[k]}`);
      const prepared = encryptGroupMessage(p, st, hexToBytes(t.continuation.plaintext), { identitySeed: hexToBytes(d.group.members[t.continuation.member]!.seed) });
      if (bytesToHex(prepared.release(prepared.nextState)) !== t.continuation.message) out.push(`tcId ${t.tcId}: continuation message differs`);
    }
    for (const t of d.receiver) {
      let st: ReceiverState;
      try {
        st = decodeReceiverState(hexToBytes(t.state));
      } catch (e) {
        out.push(`tcId ${t.tcId}: does not load: ${String(e)}`);
        continue;
      }
      if (bytesToHex(encodeReceiverState(st)) !== t.state) out.push(`tcId ${t.tcId}: re-encoding differs`);
      if (JSON.stringify(receiverFields(st)) !== JSON.stringify(t.fields)) out.push(`tcId ${t.tcId}: fields: expected ${JSON.stringify(t.fields)}, got ${JSON.stringify(receiverFields(st))}`);
      t.continuation.forEach((c, i) => {
        try {
          const r = decryptGroupMessage(p, st, hexToBytes(c.message));
          if (c.error !== null || bytesToHex(r.plaintext) !== c.plaintext) out.push(`tcId ${t.tcId}: continuation ${i}: expected ${c.error ?? 'this plaintext'}, got another plaintext`);
          st = r.nextState;
        } catch (e) {
          const code = isE2eeError(e) ? e.code : String(e);
          if (code !== c.error) out.push(`tcId ${t.tcId}: continuation ${i}: expected ${c.error ?? 'success'}, got ${code}`);
        }
      });
    }
    for (const t of d.invalid) {
      const bytes = hexToBytes(t.state);
      const err = errorOf(() => (t.kind === 'sender' ? decodeSenderState(bytes) : decodeReceiverState(bytes)));
      if (t.result !== 'invalid') out.push(`tcId ${t.tcId}: unknown test result ${String(t.result)}`);
      else if (err !== t.error) out.push(`tcId ${t.tcId}: error: expected ${t.error}, got ${err ?? 'success'}`);
    }
    return out;
  },
};
