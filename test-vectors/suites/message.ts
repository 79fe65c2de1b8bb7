// Group message protection vectors: one group and epoch, valid messages (decrypt, and
// re-encrypt byte for byte: encryption is deterministic given the sender state), and
// invalid ones with the error code a receiver must raise
// (crypto/src/message, test-vectors/README.md "message.json").
import { bytesToHex, hexToBytes, utf8Encode } from '../../crypto/src/bytes';
import { isE2eeError } from '../../crypto/src/errors';
import { memberIdOf } from '../../crypto/src/identity/member-id';
import { MAX_FORWARD_JUMP } from '../../crypto/src/limits';
import { nextChainKey } from '../../crypto/src/message/chain';
import { decryptGroupMessage } from '../../crypto/src/message/decrypt';
import { buildGroupMessage, encryptGroupMessage } from '../../crypto/src/message/encrypt';
import { startEpoch } from '../../crypto/src/message/session';
import type { ReceiverState, SenderState } from '../../crypto/src/message/state';
import { createPrimitives } from '../../crypto/src/primitives/index';
import { nobleBackend } from '../../crypto/src/primitives/noble';
import type { Primitives } from '../../crypto/src/primitives/types';
import { seededRandom } from '../seeded-random';
import type { VectorSuite } from '../suite';

export interface GroupParams {
  groupId: string;
  epoch: number;
  transcriptHash: string;
  senderRoot: string;
  /** Identity seeds (hex); identityKey and memberId follow from them and are listed for convenience. */
  members: { seed: string; identityKey: string; memberId: string }[];
}

interface MessageTest {
  tcId: number;
  comment: string;
  /** Index into group.members of the receiving member. */
  receiver: number;
  /** Messages the receiver decrypts first (each must succeed). */
  priorMessages: string[];
  message: string;
  result: 'valid' | 'invalid';
  plaintext: string | null;
  /** For valid tests: who sent it, at which generation (to re-encrypt). */
  sender: { member: number; generation: number } | null;
  error: string | null;
}

export function makeGroup(p: Primitives, rnd: (n: number) => Uint8Array, count: number, epoch: number): GroupParams {
  const members = [];
  for (let i = 0; i < count; i++) {
    const seed = rnd(32);
    const identityKey = p.ed25519PublicKey(seed);
    members.push({ seed: bytesToHex(seed), identityKey: bytesToHex(identityKey), memberId: bytesToHex(memberIdOf(p, identityKey)) });
  }
  return {
    groupId: bytesToHex(rnd(16)),
    epoch,
    transcriptHash: bytesToHex(rnd(32)),
    senderRoot: bytesToHex(rnd(32)),
    members,
  };
}

export function epochStates(p: Primitives, g: GroupParams, member: number) {
  return startEpoch(
    p,
    {
      groupId: hexToBytes(g.groupId),
      epoch: g.epoch,
      transcriptHash: hexToBytes(g.transcriptHash),
      senderRoot: hexToBytes(g.senderRoot),
      members: g.members.map((m) => ({ memberId: hexToBytes(m.memberId), identityKey: hexToBytes(m.identityKey) })),
    },
    hexToBytes(g.members[member]!.memberId),
    null,
    { now: 0 },
  );
}

export function senderAt(p: Primitives, g: GroupParams, member: number, generation: number): SenderState {
  const s = epochStates(p, g, member).senderState;
  let ck = s.chainKey;
  for (let i = 0; i < generation; i++) ck = nextChainKey(p, ck);
  return { ...s, chainKey: ck, generation };
}

export function sendAt(p: Primitives, g: GroupParams, member: number, generation: number, plaintext: Uint8Array): Uint8Array {
  const prepared = encryptGroupMessage(p, senderAt(p, g, member, generation), plaintext, { identitySeed: hexToBytes(g.members[member]!.seed) });
  return prepared.release(prepared.nextState);
}

function outcome(p: Primitives, state: ReceiverState, message: Uint8Array): { plaintext: string | null; error: string | null; next: ReceiverState | null } {
  try {
    const r = decryptGroupMessage(p, state, message);
    return { plaintext: bytesToHex(r.plaintext), error: null, next: r.nextState };
  } catch (e) {
    return { plaintext: null, error: isE2eeError(e) ? e.code : `non-E2eeError ${String(e)}`, next: null };
  }
}

function run(p: Primitives, g: GroupParams, t: MessageTest): { plaintext: string | null; error: string | null } {
  let state = epochStates(p, g, t.receiver).receiverState;
  for (const prior of t.priorMessages) {
    const o = outcome(p, state, hexToBytes(prior));
    if (!o.next) return { plaintext: null, error: `prior message failed: ${o.error}` };
    state = o.next;
  }
  const o = outcome(p, state, hexToBytes(t.message));
  return { plaintext: o.plaintext, error: o.error };
}

export const suite: VectorSuite = {
  file: 'message.json',
  generate() {
    const rnd = seededRandom('wxe2ee message vectors');
    const p = createPrimitives(nobleBackend, rnd);
    const group = makeGroup(p, rnd, 3, 5);
    const otherGroup = { ...group, groupId: bytesToHex(rnd(16)) };
    const nextEpoch = { ...group, epoch: 6, transcriptHash: bytesToHex(rnd(32)), senderRoot: bytesToHex(rnd(32)) };
    const forked = { ...group, transcriptHash: bytesToHex(rnd(32)) };
    const text = (s: string) => utf8Encode(s);
    const hex = bytesToHex;
    const tests: MessageTest[] = [];
    let id = 0;
    const valid = (comment: string, receiver: number, prior: Uint8Array[], member: number, generation: number, pt: Uint8Array) =>
      tests.push({
        tcId: ++id, comment, receiver, priorMessages: prior.map(hex), message: hex(sendAt(p, group, member, generation, pt)),
        result: 'valid', plaintext: hex(pt), sender: { member, generation }, error: null,
      });
    const invalid = (comment: string, receiver: number, prior: Uint8Array[], message: Uint8Array, error: string) =>
      tests.push({ tcId: ++id, comment, receiver, priorMessages: prior.map(hex), message: hex(message), result: 'invalid', plaintext: null, sender: null, error });

    const m0 = sendAt(p, group, 0, 0, text('hello, group'));
    valid('generation 0', 1, [], 0, 0, text('hello, group'));
    valid('generation 1 after 0', 1, [m0], 0, 1, utf8Encode('第二条消息 '.repeat(20)));
    valid('generation 2 out of order, after 3 (skipped key)', 2, [sendAt(p, group, 0, 3, text('three'))], 0, 2, text('two'));
    valid('empty plaintext from another member', 0, [], 2, 0, new Uint8Array(0));
    valid('generation 15 straight away', 1, [], 0, 15, text('fifteen'));
    valid(`jump of exactly MAX_FORWARD_JUMP (${MAX_FORWARD_JUMP})`, 1, [], 0, MAX_FORWARD_JUMP, text('edge'));

    invalid('wrong epoch: a genuine message of epoch 6, receiver holds epoch 5 only', 1, [], sendAt(p, nextEpoch, 0, 0, text('e6')), 'E2E_ERR_UNKNOWN_EPOCH');
    const relabelled = m0.slice();
    relabelled[20] = 6;
    invalid('wrong epoch: the epoch field of a genuine epoch-5 message rewritten to 6', 1, [], relabelled, 'E2E_ERR_UNKNOWN_EPOCH');
    invalid('replay of generation 0', 1, [m0], m0, 'E2E_ERR_DUPLICATE_MESSAGE');
    invalid(`jump too far: generation ${MAX_FORWARD_JUMP + 1} on a fresh chain`, 1, [], sendAt(p, group, 0, MAX_FORWARD_JUMP + 1, text('far')), 'E2E_ERR_TOO_FAR_IN_FUTURE');
    const badPad = new Uint8Array(32).fill(0x41);
    invalid('bad padding: signed and sealed, but no 0x80 marker', 1, [], buildGroupMessage(p, senderAt(p, group, 0, 0), badPad, hexToBytes(group.members[0]!.seed)).message, 'E2E_ERR_BAD_PADDING');
    const sigFlip = m0.slice();
    sigFlip[sigFlip.length - 1] = sigFlip[sigFlip.length - 1]! ^ 0x01;
    invalid('bad signature: last signature byte flipped', 1, [], sigFlip, 'E2E_ERR_BAD_SIGNATURE');
    const ctFlip = m0.slice();
    ctFlip[30] = ctFlip[30]! ^ 0x01;
    invalid('bad signature: a ciphertext byte flipped (the signature covers it)', 1, [], ctFlip, 'E2E_ERR_BAD_SIGNATURE');
    const impostor = { ...group, members: group.members.map((m, i) => (i === 0 ? { ...m, seed: bytesToHex(rnd(32)) } : m)) };
    invalid("bad signature: signed with a key that is not the sender's identity key", 1, [], sendAt(p, impostor, 0, 0, text('imp')), 'E2E_ERR_BAD_SIGNATURE');
    invalid('bad signature: signed over another transcript hash (a fork)', 1, [], sendAt(p, forked, 0, 0, text('fork')), 'E2E_ERR_BAD_SIGNATURE');
    invalid('wrong group: a genuine message of another group', 1, [], sendAt(p, otherGroup, 0, 0, text('other')), 'E2E_ERR_WRONG_GROUP');
    const regrouped = sendAt(p, otherGroup, 0, 0, text('other'));
    regrouped.set(hexToBytes(group.groupId), 1);
    invalid("wrong group: another group's message with the group ID rewritten to this one", 1, [], regrouped, 'E2E_ERR_BAD_SIGNATURE');
    const wrongKey = { ...senderAt(p, group, 0, 0), chainKey: rnd(32) };
    invalid('AEAD failure: validly signed, sealed under a chain key the receiver does not have', 1, [], buildGroupMessage(p, wrongKey, hexToBytes('80' + '00'.repeat(31)), hexToBytes(group.members[0]!.seed)).message, 'E2E_ERR_AUTH_FAILED');
    invalid("own message: the receiver is the sender", 0, [], m0, 'E2E_ERR_OWN_MESSAGE');
    invalid('malformed: truncated by one byte', 1, [], m0.subarray(0, m0.length - 1), 'E2E_ERR_MALFORMED');
    invalid('unsupported version byte 2', 1, [], Uint8Array.from([2, ...m0.subarray(1)]), 'E2E_ERR_UNSUPPORTED_VERSION');

    for (const t of tests) {
      const got = run(p, group, t);
      if (got.error !== t.error || got.plaintext !== t.plaintext) throw new Error(`message vector ${t.tcId} does not behave as labelled: ${got.error}`);
    }
    return {
      description: 'Group messages of one epoch. Build each receiver state with startEpoch from `group` (no previous state), decrypt priorMessages, then message.',
      group,
      tests,
    };
  },
  verify(data, p) {
    const out: string[] = [];
    const d = data as { group?: GroupParams; tests?: MessageTest[] };
    if (!d.group || !d.tests?.length) return ['no tests'];
    const g = d.group;
    for (const m of g.members) {
      if (bytesToHex(p.ed25519PublicKey(hexToBytes(m.seed))) !== m.identityKey) out.push(`group: identityKey of seed ${m.seed.slice(0, 8)}.. mismatch`);
      if (bytesToHex(memberIdOf(p, hexToBytes(m.identityKey))) !== m.memberId) out.push(`group: memberId of ${m.identityKey.slice(0, 8)}.. mismatch`);
    }
    for (const t of d.tests) {
      const got = run(p, g, t);
      if (t.result === 'valid') {
        if (got.plaintext !== t.plaintext) out.push(`tcId ${t.tcId}: plaintext: expected ${t.plaintext}, got ${got.plaintext ?? got.error}`);
        const again = bytesToHex(sendAt(p, g, t.sender!.member, t.sender!.generation, hexToBytes(t.plaintext!)));
        if (again !== t.message) out.push(`tcId ${t.tcId}: re-encryption differs from message`);
      } else if (t.result === 'invalid') {
        if (got.error !== t.error) out.push(`tcId ${t.tcId}: error: expected ${t.error}, got ${got.error ?? 'success'}`);
      } else out.push(`tcId ${t.tcId}: unknown test result ${String(t.result)}`);
    }
    return out;
  },
};
