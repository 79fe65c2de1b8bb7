import { describe, expect, it } from 'vitest';
import { bytesToHex, concatBytes } from '../../src/bytes';
import { BAD_SIGNATURE } from '../../src/errors';
import { KDF, SIG } from '../../src/labels';
import { deriveSecret, expandWithLabel, verifyWithLabel } from '../../src/kdf';
import {
  MAX_FORWARD_JUMP,
  MAX_PREVIOUS_EPOCHS,
  MAX_SKIPPED_KEYS_PER_GROUP,
  MAX_SKIPPED_KEYS_PER_SENDER,
} from '../../src/limits';
import { initialChainKey, messageKeyNonce, nextChainKey } from '../../src/message/chain';
import { decryptGroupMessage } from '../../src/message/decrypt';
import { buildGroupMessage, encryptGroupMessage, MAX_SENDER_RESERVATION, reserveSenderState } from '../../src/message/encrypt';
import {
  CHAIN_EXHAUSTED,
  DUPLICATE_MESSAGE,
  OWN_MESSAGE,
  STATE_NOT_PERSISTED,
  TOO_FAR_IN_FUTURE,
  UNKNOWN_EPOCH,
  UNKNOWN_SENDER,
  WRONG_GROUP,
  NOT_A_MEMBER,
  EPOCH_ORDER,
  SENDER_REMOVED,
} from '../../src/message/errors';
import { pruneReceiverState, startEpoch } from '../../src/message/session';
import { REVOKED, decodeReceiverState, encodeReceiverState, encodeSenderState, type ReceiverState, type SenderState } from '../../src/message/state';
import { BAD_PADDING, paddedLength } from '../../src/padding';
import type { Primitives } from '../../src/primitives/types';
import { GROUP_MESSAGE_OVERHEAD_BYTES, GROUP_MESSAGE_HEADER_BYTES } from '../../src/wire/message';
import { chainOf, enter, epochInput, GROUP, identity, OTHER_GROUP, p, send, skippedIn, text } from './helpers';
import { expectCode } from '../expect-code';

const alice = identity(1);
const bob = identity(2);
const carol = identity(3);
const members = [alice, bob, carol];


function setup(epoch = 1) {
  const input = epochInput(GROUP, epoch, members);
  return { input, a: enter(input, alice), b: enter(input, bob), c: enter(input, carol) };
}

function sendMany(state: SenderState, who = alice, n: number): { msgs: Uint8Array[]; next: SenderState } {
  const msgs: Uint8Array[] = [];
  let s = state;
  for (let i = 0; i < n; i++) {
    const r = send(s, who, text(`m${i}`));
    msgs.push(r.bytes);
    s = r.next;
  }
  return { msgs, next: s };
}

describe('sender chains', () => {
  it('precomputed per-generation derivations equal the labelled KDF', () => {
    const ck = p.sha256(text('ck'));
    expect(bytesToHex(messageKeyNonce(p, ck))).toBe(bytesToHex(expandWithLabel(p, ck, KDF.MESSAGE_KEY, new Uint8Array(0), 56)));
    expect(bytesToHex(nextChainKey(p, ck))).toBe(bytesToHex(deriveSecret(p, ck, KDF.CHAIN_NEXT, new Uint8Array(0))));
  });

  it('chain key 0 depends on the group, epoch and member', () => {
    const root = p.sha256(text('root'));
    const base = bytesToHex(initialChainKey(p, root, GROUP, 1, alice.memberId));
    expect(bytesToHex(initialChainKey(p, root, OTHER_GROUP, 1, alice.memberId))).not.toBe(base);
    expect(bytesToHex(initialChainKey(p, root, GROUP, 2, alice.memberId))).not.toBe(base);
    expect(bytesToHex(initialChainKey(p, root, GROUP, 1, bob.memberId))).not.toBe(base);
  });
});

/**
 * What a state holds now, encoded from a deep copy: encodeReceiverState reuses the bytes
 * of an epoch object it encoded before, which would hide a change made in place.
 */
const contentHex = (s: ReceiverState) => bytesToHex(encodeReceiverState(structuredClone(s)));

describe('group messages', () => {
  it('every other member reads a message; the sender cannot read its own as a receiver', () => {
    const { a, b, c } = setup();
    const { msgs } = sendMany(a.senderState, alice, 3);
    let bs = b.receiverState;
    let cs = c.receiverState;
    msgs.forEach((m, i) => {
      const rb = decryptGroupMessage(p, bs, m);
      const rc = decryptGroupMessage(p, cs, m);
      expect(new TextDecoder().decode(rb.plaintext)).toBe(`m${i}`);
      expect(new TextDecoder().decode(rc.plaintext)).toBe(`m${i}`);
      expect(bytesToHex(rb.sender.memberId)).toBe(bytesToHex(alice.memberId));
      expect(rb.header.generation).toBe(i);
      bs = rb.nextState;
      cs = rc.nextState;
    });
    expectCode(() => decryptGroupMessage(p, a.receiverState, msgs[0]!), OWN_MESSAGE);
  });

  it('the signature is the labelled signature of the spec over transcriptHash || memberId || header || sealed', () => {
    const { input, a } = setup();
    const { bytes } = send(a.senderState, alice, text('spec'));
    const header = bytes.subarray(0, 27);
    const sealed = bytes.subarray(27, bytes.length - 64);
    const signed = concatBytes(input.transcriptHash, alice.memberId, header, sealed);
    expect(verifyWithLabel(p, alice.identityKey, SIG.GROUP_MESSAGE, signed, bytes.subarray(bytes.length - 64))).toBe(true);
    expect(verifyWithLabel(p, alice.identityKey, SIG.RELAY_AUTH, signed, bytes.subarray(bytes.length - 64))).toBe(false);
  });

  it('overhead before padding is at most 110 bytes (measured: 107)', () => {
    const { a } = setup();
    for (const n of [0, 1, 31, 100, 1024, 5000]) {
      const { bytes } = send(a.senderState, alice, new Uint8Array(n));
      expect(bytes.length - paddedLength(n)).toBe(GROUP_MESSAGE_OVERHEAD_BYTES);
    }
    expect(GROUP_MESSAGE_OVERHEAD_BYTES).toBeLessThanOrEqual(110);
  });

  it('decrypts out of order within the window and rejects the replay of each', () => {
    const { a, b } = setup();
    const { msgs } = sendMany(a.senderState, alice, 6);
    let s = b.receiverState;
    for (const i of [4, 0, 5, 2, 1, 3]) {
      const r = decryptGroupMessage(p, s, msgs[i]!);
      expect(new TextDecoder().decode(r.plaintext)).toBe(`m${i}`);
      s = r.nextState;
    }
    for (const m of msgs) expectCode(() => decryptGroupMessage(p, s, m), DUPLICATE_MESSAGE);
    // Every skipped key was consumed: none is left in the state.
    expect(s.epochs[0]!.chains.every((ch) => skippedIn(ch) === 0)).toBe(true);
  });

  it('rejects a replay in order', () => {
    const { a, b } = setup();
    const { bytes } = send(a.senderState, alice, text('hi'));
    const r = decryptGroupMessage(p, b.receiverState, bytes);
    expectCode(() => decryptGroupMessage(p, r.nextState, bytes), DUPLICATE_MESSAGE);
  });

  it('accepts a jump of exactly MAX_FORWARD_JUMP and rejects one more', () => {
    const { a, b } = setup();
    const far: SenderState = { ...a.senderState, ...advance(a.senderState, MAX_FORWARD_JUMP + 1) };
    const tooFar = send(far, alice, text('x')).bytes;
    expectCode(() => decryptGroupMessage(p, b.receiverState, tooFar), TOO_FAR_IN_FUTURE);
    const edge = send({ ...a.senderState, ...advance(a.senderState, MAX_FORWARD_JUMP) }, alice, text('y')).bytes;
    const r = decryptGroupMessage(p, b.receiverState, edge);
    expect(new TextDecoder().decode(r.plaintext)).toBe('y');
    expect(chainOf(r.nextState.epochs[0]!.chains[senderIndexOf(b.receiverState, alice)]).skipped.length).toBe(MAX_FORWARD_JUMP);
  });

  it('enforces the per-sender skipped-key cap by evicting the oldest keys', () => {
    const { a, b } = setup();
    const old = send(a.senderState, alice, text('old')).bytes; // generation 0
    const recent = send({ ...a.senderState, ...advance(a.senderState, 3000) }, alice, text('recent')).bytes;
    let s = decryptGroupMessage(p, b.receiverState, send({ ...a.senderState, ...advance(a.senderState, 1500) }, alice, text('j1')).bytes).nextState;
    s = decryptGroupMessage(p, s, send({ ...a.senderState, ...advance(a.senderState, 3001) }, alice, text('j2')).bytes).nextState;
    const chain = chainOf(s.epochs[0]!.chains[senderIndexOf(s, alice)]);
    expect(chain.skipped.length).toBe(MAX_SKIPPED_KEYS_PER_SENDER);
    expectCode(() => decryptGroupMessage(p, s, old), DUPLICATE_MESSAGE);
    expect(new TextDecoder().decode(decryptGroupMessage(p, s, recent).plaintext)).toBe('recent');
  });

  it('enforces the per-group skipped-key cap over every sender', () => {
    const dave = identity(4);
    const input = epochInput(GROUP, 1, [...members, dave]);
    // Bob receives a jump of 1,900 from each of Alice, Carol and Dave: 5,700 skipped keys.
    let s = enter(input, bob).receiverState;
    let total = 0;
    for (const who of [alice, carol, dave]) {
      const st = enter(input, who).senderState;
      s = decryptGroupMessage(p, s, send({ ...st, ...advance(st, 1900) }, who, text('j')).bytes).nextState;
      total += 1900;
    }
    const count = s.epochs.flatMap((e) => e.chains).reduce((n, ch) => n + skippedIn(ch), 0);
    expect(total).toBeGreaterThan(MAX_SKIPPED_KEYS_PER_GROUP);
    expect(count).toBe(MAX_SKIPPED_KEYS_PER_GROUP);
    // The oldest (Alice's first gap) went first.
    const aliceChain = chainOf(s.epochs[0]!.chains[senderIndexOf(s, alice)]);
    expect(aliceChain.skipped[0]!.generation).toBeGreaterThan(0);
    const daveChain = chainOf(s.epochs[0]!.chains[senderIndexOf(s, dave)]);
    expect(daveChain.skipped[0]!.generation).toBe(0);
    expect(aliceChain.skipped.length + chainOf(s.epochs[0]!.chains[senderIndexOf(s, carol)]).skipped.length).toBe(MAX_SKIPPED_KEYS_PER_GROUP - 1900);
  });

  it('rejects a message for another group, and a group ID rewritten by the relay', () => {
    const { a } = setup();
    const other = enter(epochInput(OTHER_GROUP, 1, members), bob);
    const { bytes } = send(a.senderState, alice, text('hi'));
    expectCode(() => decryptGroupMessage(p, other.receiverState, bytes), WRONG_GROUP);
    const rewritten = bytes.slice();
    rewritten.set(OTHER_GROUP, 1);
    expectCode(() => decryptGroupMessage(p, other.receiverState, rewritten), BAD_SIGNATURE);
  });

  it('rejects cross-epoch reuse: an unknown epoch, and an epoch number rewritten by the relay', () => {
    const e1 = setup(1);
    const e2b = startEpoch(p, epochInput(GROUP, 2, members), bob.memberId, e1.b.receiverState, { now: 10 });
    const e2a = enter(epochInput(GROUP, 2, members), alice);
    const m2 = send(e2a.senderState, alice, text('two')).bytes;
    expectCode(() => decryptGroupMessage(p, e1.b.receiverState, m2), UNKNOWN_EPOCH);
    const m1 = send(e1.a.senderState, alice, text('one')).bytes;
    const relabelled = m1.slice();
    relabelled[20] = 2; // epoch field low byte: 1 -> 2
    expectCode(() => decryptGroupMessage(p, e2b.receiverState, relabelled), BAD_SIGNATURE);
    // The genuine epoch-1 message still opens inside the grace window.
    expect(new TextDecoder().decode(decryptGroupMessage(p, e2b.receiverState, m1).plaintext)).toBe('one');
  });

  it('rejects a message signed over another transcript (a fork) and a sender index rewritten by the relay', () => {
    const { a, b } = setup();
    const forked = enter({ ...epochInput(GROUP, 1, members), transcriptHash: new Uint8Array(32).fill(9) }, alice);
    expectCode(() => decryptGroupMessage(p, b.receiverState, send(forked.senderState, alice, text('f')).bytes), BAD_SIGNATURE);
    const { bytes } = send(a.senderState, alice, text('hi'));
    const moved = bytes.slice();
    moved[22] = moved[22]! ^ 1; // sender index low bit
    expect(() => decryptGroupMessage(p, b.receiverState, moved)).toThrow();
    const out = bytes.slice();
    out[21] = 0x01; // sender index 256+: no such member
    expectCode(() => decryptGroupMessage(p, b.receiverState, out), UNKNOWN_SENDER);
  });

  it('rejects any flipped bit in header, ciphertext or signature', () => {
    const { a, b } = setup();
    const { bytes } = send(a.senderState, alice, text('integrity'));
    const before = contentHex(b.receiverState);
    for (let i = 1; i < bytes.length; i += 7) {
      const bad = bytes.slice();
      bad[i] = bad[i]! ^ 0x10;
      expect(() => decryptGroupMessage(p, b.receiverState, bad)).toThrow();
    }
    expect(contentHex(b.receiverState)).toBe(before);
  });

  it('a valid signature over a ciphertext the receiver cannot open is AUTH_FAILED; bad padding is BAD_PADDING', () => {
    const { a, b } = setup();
    const wrongKey: SenderState = { ...a.senderState, chainKey: new Uint8Array(32).fill(7) };
    expectCode(() => decryptGroupMessage(p, b.receiverState, send(wrongKey, alice, text('x')).bytes), 'E2E_ERR_AUTH_FAILED');
    const badPad = new Uint8Array(32).fill(0x41); // no 0x80 marker
    const { message } = buildGroupMessage(p, a.senderState, badPad, alice.seed);
    expectCode(() => decryptGroupMessage(p, b.receiverState, message), BAD_PADDING);
    const nonCanonical = new Uint8Array(64);
    nonCanonical[0] = 0x80; // empty plaintext padded to 64 instead of 32
    expectCode(() => decryptGroupMessage(p, b.receiverState, buildGroupMessage(p, a.senderState, nonCanonical, alice.seed).message), BAD_PADDING);
  });

  it('checks the signature before the chain moves: a forged jump derives nothing and changes nothing', () => {
    const { a, b } = setup();
    const forgedBy = identity(66);
    const forged = send({ ...a.senderState, ...advance(a.senderState, 1000) }, forgedBy, text('forged')).bytes;
    const counting = countingPrimitives(p);
    const before = contentHex(b.receiverState);
    expectCode(() => decryptGroupMessage(counting.p, b.receiverState, forged), BAD_SIGNATURE);
    expect(counting.expands()).toBe(0);
    expect(contentHex(b.receiverState)).toBe(before);
    const genuine = send(a.senderState, alice, text('genuine')).bytes;
    expect(new TextDecoder().decode(decryptGroupMessage(p, b.receiverState, genuine).plaintext)).toBe('genuine');
  });

  it('keeps only current chain keys: no used chain key or sender root in the serialized states', () => {
    const { input, a, b } = setup();
    const { msgs, next } = sendMany(a.senderState, alice, 4);
    let s = b.receiverState;
    for (const m of [msgs[0]!, msgs[1]!, msgs[3]!]) s = decryptGroupMessage(p, s, m).nextState; // 2 stays skipped
    const used: string[] = [bytesToHex(input.senderRoot)];
    let ck = initialChainKey(p, input.senderRoot, GROUP, 1, alice.memberId);
    for (let g = 0; g < 4; g++) {
      used.push(bytesToHex(ck));
      if (g !== 2) used.push(bytesToHex(messageKeyNonce(p, ck)));
      ck = nextChainKey(p, ck);
    }
    const rx = bytesToHex(encodeReceiverState(s));
    const tx = bytesToHex(encodeSenderState(next));
    for (const u of used) {
      expect(rx.includes(u)).toBe(false);
      expect(tx.includes(u)).toBe(false);
    }
    expect(rx.includes(bytesToHex(ck))).toBe(true); // chain key 4, the current one
  });

  it('keeps replaced epochs for the grace window, by time and by count', () => {
    const e1 = setup(1);
    const m1 = send(e1.a.senderState, alice, text('one')).bytes;
    const after = startEpoch(p, epochInput(GROUP, 2, members), bob.memberId, e1.b.receiverState, { now: 1000, graceMs: 500 }).receiverState;
    expect(new TextDecoder().decode(decryptGroupMessage(p, after, m1, { now: 1400, graceMs: 500 }).plaintext)).toBe('one');
    expectCode(() => decryptGroupMessage(p, after, m1, { now: 1501, graceMs: 500 }), UNKNOWN_EPOCH);
    expect(pruneReceiverState(after, 1501, 500).epochs.map((e) => e.epoch)).toEqual([2]);
    expect(pruneReceiverState(after, 1400, 500)).toBe(after);
    let s: ReceiverState = e1.b.receiverState;
    for (let e = 2; e <= MAX_PREVIOUS_EPOCHS + 3; e++) {
      s = startEpoch(p, epochInput(GROUP, e, members), bob.memberId, s, { now: e }).receiverState;
    }
    expect(s.epochs.length).toBe(MAX_PREVIOUS_EPOCHS + 1);
    expectCode(() => decryptGroupMessage(p, s, m1), UNKNOWN_EPOCH);
  });

  it('a member removed by the new epoch: its later messages in the replaced epoch are refused, the others still open', () => {
    const e1 = setup(1);
    const fromCarol = send(e1.c.senderState, carol, text('carol, epoch 1')).bytes;
    const fromAlice = send(e1.a.senderState, alice, text('alice, epoch 1')).bytes;
    const skippedCarol = send({ ...e1.c.senderState, ...advance(e1.c.senderState, 1) }, carol, text('carol 2')).bytes;
    let s = decryptGroupMessage(p, e1.b.receiverState, skippedCarol).nextState; // leaves carol's generation 0 skipped
    s = startEpoch(p, epochInput(GROUP, 2, [alice, bob]), bob.memberId, s, { now: 1 }).receiverState;
    expectCode(() => decryptGroupMessage(p, s, fromCarol), SENDER_REMOVED);
    expect(new TextDecoder().decode(decryptGroupMessage(p, s, fromAlice).plaintext)).toBe('alice, epoch 1');
    expect(s.epochs[1]!.chains.filter((c) => c === REVOKED).length).toBe(1);
    expect(skippedIn(s.epochs[1]!.chains[senderIndexOf(s, carol)])).toBe(0); // its skipped keys are gone
    const again = decodeReceiverState(encodeReceiverState(s));
    expect(again).toEqual(s);
    expectCode(() => decryptGroupMessage(p, again, fromCarol), SENDER_REMOVED);
    // A member re-added later keeps its old chains.
    const back = startEpoch(p, epochInput(GROUP, 2, members), bob.memberId, decryptGroupMessage(p, e1.b.receiverState, skippedCarol).nextState, { now: 1 }).receiverState;
    expect(new TextDecoder().decode(decryptGroupMessage(p, back, fromCarol).plaintext)).toBe('carol, epoch 1');
  });

  it('a new epoch shares each unchanged member with the replaced one, and takes a changed identity key', () => {
    const e1 = setup(1);
    // Carol keeps her member ID and registers a new identity key (what the SDK alerts on).
    const carolSeed = new Uint8Array(32).fill(33);
    const carolNew = { seed: carolSeed, identityKey: p.ed25519PublicKey(carolSeed), memberId: carol.memberId };
    const input2 = epochInput(GROUP, 2, [alice, bob, carolNew]);
    // The caller's own arrays (wiped below): the state must not alias them.
    const given = input2.members.map((m) => ({ memberId: m.memberId.slice(), identityKey: m.identityKey.slice() }));
    const s2 = startEpoch(p, { ...input2, members: given }, bob.memberId, e1.b.receiverState, { now: 1 }).receiverState;
    const record = encodeReceiverState(s2);
    const [now, replaced] = [s2.epochs[0]!.members, s2.epochs[1]!.members];
    const at = (m: { memberId: Uint8Array }) => senderIndexOf(s2, m);
    expect(now[at(alice)]).toBe(replaced[at(alice)]);
    expect(now[at(bob)]).toBe(replaced[at(bob)]);
    expect(now[at(carol)]).not.toBe(replaced[at(carol)]);
    expect(bytesToHex(now[at(carol)]!.identityKey)).toBe(bytesToHex(carolNew.identityKey));
    // The new key verifies carol's epoch-2 messages; the old one no longer does.
    const fresh = startEpoch(p, input2, carol.memberId, null, { now: 1 }).senderState;
    expect(new TextDecoder().decode(decryptGroupMessage(p, s2, send(fresh, carolNew, text('new key')).bytes).plaintext)).toBe('new key');
    expectCode(() => decryptGroupMessage(p, s2, send(fresh, carol, text('old key')).bytes), BAD_SIGNATURE);
    for (const m of given) {
      m.memberId.fill(0);
      m.identityKey.fill(0);
    }
    expect(bytesToHex(encodeReceiverState(s2))).toBe(bytesToHex(record));
    // A decoded record shares the same way (a client's states after a restart).
    const loaded = decodeReceiverState(record);
    expect(loaded).toEqual(s2);
    expect(loaded.epochs[1]!.members[at(alice)]).toBe(loaded.epochs[0]!.members[at(alice)]);
    expect(loaded.epochs[1]!.members[at(carol)]).not.toBe(loaded.epochs[0]!.members[at(carol)]);
    expect(bytesToHex(loaded.epochs[1]!.members[at(carol)]!.identityKey)).toBe(bytesToHex(carol.identityKey));
  });

  it('startEpoch refuses a non-member, a stale epoch and another group', () => {
    const e1 = setup(1);
    expectCode(() => enter(epochInput(GROUP, 1, [alice, bob]), carol), NOT_A_MEMBER);
    expectCode(() => startEpoch(p, epochInput(GROUP, 1, members), bob.memberId, e1.b.receiverState, { now: 0 }), EPOCH_ORDER);
    expectCode(() => startEpoch(p, epochInput(OTHER_GROUP, 2, members), bob.memberId, e1.b.receiverState, { now: 0 }), WRONG_GROUP);
    expect(() => enter({ ...epochInput(GROUP, 1, members), members: [alice, alice] }, alice)).toThrow(RangeError);
    expect(() => enter({ ...epochInput(GROUP, 1, members), groupId: new Uint8Array(32) }, alice)).toThrow(RangeError);
  });

  it('release() hands out the ciphertext only against the persisted next state', () => {
    const { a } = setup();
    const prepared = encryptGroupMessage(p, a.senderState, text('x'), { identitySeed: alice.seed });
    expectCode(() => prepared.release(a.senderState), STATE_NOT_PERSISTED);
    expectCode(() => prepared.release(encodeSenderState(a.senderState)), STATE_NOT_PERSISTED);
    const other = enter(epochInput(GROUP, 2, members), alice).senderState;
    expectCode(() => prepared.release({ ...other, generation: 5 }), STATE_NOT_PERSISTED);
    const bytes = prepared.release(encodeSenderState(prepared.nextState));
    expect(bytesToHex(prepared.release(prepared.nextState))).toBe(bytesToHex(bytes));
    expect(prepared.nextState.generation).toBe(1);
    expect(a.senderState.generation).toBe(0); // input not mutated
  });

  it('a reserved state releases every generation below it, not its own; after a crash the chain resumes there and receivers bridge the gap', () => {
    const { a, b } = setup();
    const reserved = reserveSenderState(p, a.senderState, 16);
    expect(reserved.generation).toBe(16);
    // Its chain key is the one the chain itself reaches at generation 16.
    let ck = a.senderState.chainKey;
    for (let i = 0; i < 16; i++) ck = nextChainKey(p, ck);
    expect(bytesToHex(reserved.chainKey)).toBe(bytesToHex(ck));
    expect(a.senderState.generation).toBe(0); // input not mutated
    let s = a.senderState;
    let recv = b.receiverState;
    for (let g = 0; g < 17; g++) {
      const prepared = encryptGroupMessage(p, s, text(`m${g}`), { identitySeed: alice.seed });
      if (g < 16) {
        const out = decryptGroupMessage(p, recv, prepared.release(encodeSenderState(reserved)), { now: 0 });
        recv = out.nextState;
      } else {
        expectCode(() => prepared.release(reserved), STATE_NOT_PERSISTED);
      }
      s = prepared.nextState;
    }
    // "Crash" after generation 3 with the reservation on disk: the device resumes at 16,
    // past every generation it released; the receiver keeps 12 keys for the gap.
    const r2 = reserveSenderState(p, a.senderState, 16);
    let recv2 = b.receiverState;
    let s2 = a.senderState;
    for (let g = 0; g < 4; g++) {
      const r = send(s2, alice, text(`m${g}`));
      recv2 = decryptGroupMessage(p, recv2, r.bytes, { now: 0 }).nextState;
      s2 = r.next;
    }
    const afterCrash = send(r2, alice, text('after'));
    const out = decryptGroupMessage(p, recv2, afterCrash.bytes, { now: 0 });
    expect(out.header.generation).toBe(16);
    expect(out.plaintext).toEqual(text('after'));
    expect(skippedIn(out.nextState.epochs[0]!.chains[out.header.senderIndex])).toBe(12);
  });

  it('reservation bounds: 1 to MAX_SENDER_RESERVATION generations, far below what a receiver may skip', () => {
    const { a } = setup();
    expect(() => reserveSenderState(p, a.senderState, 0)).toThrow(RangeError);
    expect(() => reserveSenderState(p, a.senderState, MAX_SENDER_RESERVATION + 1)).toThrow(RangeError);
    expect(reserveSenderState(p, a.senderState, MAX_SENDER_RESERVATION).generation).toBe(MAX_SENDER_RESERVATION);
    expect(reserveSenderState(p, { ...a.senderState, generation: 0xffffffff - 2 }, 16).generation).toBe(0xffffffff);
    expect(MAX_SENDER_RESERVATION * 4).toBeLessThanOrEqual(MAX_FORWARD_JUMP);
  });

  it('refuses to send past the last generation', () => {
    const { a } = setup();
    expectCode(() => encryptGroupMessage(p, { ...a.senderState, generation: 0xffffffff }, text('x'), { identitySeed: alice.seed }), CHAIN_EXHAUSTED);
  });

  it('the header is 27 bytes and carries epoch, sender index and generation', () => {
    const { a } = setup(0x01020304);
    const { bytes } = send({ ...a.senderState, ...advance(a.senderState, 3) }, alice, text('h'));
    expect(GROUP_MESSAGE_HEADER_BYTES).toBe(27);
    expect(bytesToHex(bytes.subarray(0, 27))).toBe(
      '01' + bytesToHex(GROUP) + '01020304' + bytesToHex(Uint8Array.of(0, a.senderState.senderIndex)) + '00000003',
    );
  });

  it('the record of a state reuses unchanged epochs and re-encodes the epoch a message moved', () => {
    const e1 = setup(1);
    const m1 = send(e1.a.senderState, alice, text('epoch 1')).bytes;
    let s = startEpoch(p, epochInput(GROUP, 2, members), bob.memberId, e1.b.receiverState, { now: 1 }).receiverState;
    const first = encodeReceiverState(s);
    expect(bytesToHex(first)).toBe(contentHex(s));
    // A late message of epoch 1 replaces that epoch object only; epoch 2 stays the same object.
    const next = decryptGroupMessage(p, s, m1).nextState;
    expect(next.epochs[0]).toBe(s.epochs[0]);
    expect(next.epochs[1]).not.toBe(s.epochs[1]);
    s = next;
    const second = encodeReceiverState(s);
    expect(bytesToHex(second)).toBe(contentHex(s));
    expect(bytesToHex(second)).not.toBe(bytesToHex(first));
    expect(decodeReceiverState(second)).toEqual(s);
  });

  it('many messages from several senders, interleaved, all decrypt (state round trip in between)', () => {
    const { a, b, c } = setup();
    const { msgs: fromA } = sendMany(a.senderState, alice, 20);
    const { msgs: fromC } = sendMany(c.senderState, carol, 20);
    let s = b.receiverState;
    const seen = new Set<string>();
    const all = fromA.flatMap((m, i) => [m, fromC[19 - i]!]);
    for (const m of all) {
      const r = decryptGroupMessage(p, s, m);
      seen.add(bytesToHex(concatBytes(r.sender.memberId, r.plaintext)));
      s = decodeReceiverState(encodeReceiverState(r.nextState));
    }
    expect(seen.size).toBe(40);
  });
});

function senderIndexOf(s: ReceiverState, who: { memberId: Uint8Array }): number {
  return s.epochs[0]!.members.findIndex((m) => bytesToHex(m.memberId) === bytesToHex(who.memberId));
}

/** The sender chain advanced by `n` generations (what n unsent messages would leave). */
function advance(s: SenderState, n: number): { chainKey: Uint8Array; generation: number } {
  let ck = s.chainKey;
  for (let i = 0; i < n; i++) ck = nextChainKey(p, ck);
  return { chainKey: ck, generation: s.generation + n };
}

/** The real primitives, counting HKDF-Expand calls (to observe the order of operations). */
function countingPrimitives(inner: Primitives): { p: Primitives; expands(): number } {
  let n = 0;
  return {
    p: {
      ...inner,
      hkdfSha256Expand(prk, info, length) {
        n++;
        return inner.hkdfSha256Expand(prk, info, length);
      },
    },
    expands: () => n,
  };
}
