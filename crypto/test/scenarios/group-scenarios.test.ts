// Cross-cutting scenarios of the message layer over an epoch schedule (model-group.ts).
// Names say the behaviour.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, concatBytes } from '../../src/bytes';
import { deriveSecret } from '../../src/kdf';
import { isE2eeError } from '../../src/errors';
import { MAX_FORWARD_JUMP, MAX_SKIPPED_KEYS_PER_SENDER } from '../../src/limits';
import { initialChainKey, messageKeyNonce, nextChainKey } from '../../src/message/chain';
import { decryptGroupMessage } from '../../src/message/decrypt';
import { encryptGroupMessage, messageAad, reserveSenderState } from '../../src/message/encrypt';
import { startEpoch } from '../../src/message/session';
import {
  REVOKED,
  decodeReceiverState,
  decodeSenderState,
  encodeReceiverState,
  encodeSenderState,
  type ReceiverState,
  type SenderState,
} from '../../src/message/state';
import { decodeGroupMessage } from '../../src/wire/message';
import { GROUP, identity, OTHER_GROUP, p, send, text, type TestIdentity } from '../message/helpers';
import { EPOCH_NEXT_LABEL, ModelGroup, senderRootOf } from './model-group';

interface Device {
  readonly who: TestIdentity;
  sender: SenderState | null;
  receiver: ReceiverState | null;
  /** Every epoch secret this device was ever given (what a kicked member keeps). */
  readonly secrets: Uint8Array[];
}

function device(who: TestIdentity): Device {
  return { who, sender: null, receiver: null, secrets: [] };
}

/** The device processes the current epoch of `g` (it must be a member). */
function apply(g: ModelGroup, d: Device, now = 0): void {
  const v = g.view();
  d.secrets.push(v.epochSecret);
  const st = startEpoch(p, v.input, d.who.memberId, d.receiver, { now });
  d.sender = st.senderState;
  d.receiver = st.receiverState;
}

function say(d: Device, s: string): Uint8Array {
  const r = send(d.sender!, d.who, text(s));
  d.sender = r.next;
  return r.bytes;
}

function read(d: Device, m: Uint8Array): string {
  const r = decryptGroupMessage(p, d.receiver!, m);
  d.receiver = r.nextState;
  return new TextDecoder().decode(r.plaintext);
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return isE2eeError(e) ? e.code : `non-E2eeError ${String(e)}`;
  }
}

describe('scenarios', () => {
  it('late join cannot read earlier messages, even with the join epoch secret', () => {
    const [a, b, c] = [identity(1), identity(2), identity(3)];
    const g = new ModelGroup(p, GROUP, [a, b]);
    const [da, db, dc] = [device(a), device(b), device(c)];
    apply(g, da);
    apply(g, db);
    const before = say(da, 'before the join');
    expect(read(db, before)).toBe('before the join');
    g.add(c);
    for (const d of [da, db, dc]) apply(g, d);
    expect(codeOf(() => read(dc, before))).toBe('E2E_ERR_UNKNOWN_EPOCH');
    // The joiner builds epoch-0 chains from everything it has: the join secret and its sender root.
    const header = decodeGroupMessage(before).header;
    for (const guess of [dc.secrets[0]!, senderRootOf(p, dc.secrets[0]!)]) {
      const forged = startEpoch(p, { groupId: GROUP, epoch: header.epoch, transcriptHash: dc.receiver!.epochs[0]!.transcriptHash, senderRoot: guess, members: [a, b] }, b.memberId, null, { now: 0 });
      expect(codeOf(() => decryptGroupMessage(p, forged.receiverState, before))).not.toBe('ok');
    }
    const after = say(da, 'after the join');
    expect(read(dc, after)).toBe('after the join');
  });

  it('out of order within the window: several senders, shuffled delivery', () => {
    const ids = [identity(1), identity(2), identity(3), identity(4)];
    const g = new ModelGroup(p, GROUP, ids);
    const ds = ids.map(device);
    ds.forEach((d) => apply(g, d));
    const sent: [number, Uint8Array, string][] = [];
    for (let i = 0; i < 24; i++) {
      const s = i % 3;
      sent.push([s, say(ds[s]!, `${s}:${i}`), `${s}:${i}`]);
    }
    const order = sent.map((_, i) => (i * 7) % sent.length); // a fixed permutation (7 is coprime to 24)
    const reader = ds[3]!;
    for (const i of order) expect(read(reader, sent[i]![1])).toBe(sent[i]![2]);
  });

  it('too far in the future is rejected, the edge of the window is accepted', () => {
    const [a, b] = [identity(1), identity(2)];
    const g = new ModelGroup(p, GROUP, [a, b]);
    const [da, db] = [device(a), device(b)];
    apply(g, da);
    apply(g, db);
    let ck = da.sender!.chainKey;
    for (let i = 0; i <= MAX_FORWARD_JUMP; i++) ck = nextChainKey(p, ck);
    const tooFar = send({ ...da.sender!, chainKey: ck, generation: MAX_FORWARD_JUMP + 1 }, a, text('x')).bytes;
    expect(codeOf(() => read(db, tooFar))).toBe('E2E_ERR_TOO_FAR_IN_FUTURE');
    expect(read(db, say(da, 'first'))).toBe('first');
  });

  it('skipped-key limit: the oldest skipped keys are evicted, newer ones still open', () => {
    const [a, b] = [identity(1), identity(2)];
    const g = new ModelGroup(p, GROUP, [a, b]);
    const [da, db] = [device(a), device(b)];
    apply(g, da);
    apply(g, db);
    const msgs: Uint8Array[] = [];
    for (let i = 0; i < MAX_SKIPPED_KEYS_PER_SENDER + 10; i++) msgs.push(say(da, `m${i}`));
    expect(read(db, msgs[MAX_SKIPPED_KEYS_PER_SENDER]!)).toBe(`m${MAX_SKIPPED_KEYS_PER_SENDER}`); // skips 0..1999: at the cap
    expect(read(db, msgs[MAX_SKIPPED_KEYS_PER_SENDER + 9]!)).toBe(`m${MAX_SKIPPED_KEYS_PER_SENDER + 9}`); // 8 more: 8 oldest evicted
    for (let i = 0; i < 8; i++) expect(codeOf(() => read(db, msgs[i]!))).toBe('E2E_ERR_DUPLICATE_MESSAGE');
    expect(read(db, msgs[8]!)).toBe('m8');
    expect(read(db, msgs[MAX_SKIPPED_KEYS_PER_SENDER + 5]!)).toBe(`m${MAX_SKIPPED_KEYS_PER_SENDER + 5}`);
  });

  it('replay is rejected, also after a state reload', () => {
    const [a, b] = [identity(1), identity(2)];
    const g = new ModelGroup(p, GROUP, [a, b]);
    const [da, db] = [device(a), device(b)];
    apply(g, da);
    apply(g, db);
    const m = say(da, 'once');
    expect(read(db, m)).toBe('once');
    db.receiver = decodeReceiverState(encodeReceiverState(db.receiver!));
    expect(codeOf(() => read(db, m))).toBe('E2E_ERR_DUPLICATE_MESSAGE');
  });

  it('cross-group and cross-epoch reuse is rejected', () => {
    const [a, b] = [identity(1), identity(2)];
    const g1 = new ModelGroup(p, GROUP, [a, b]);
    const g2 = new ModelGroup(p, OTHER_GROUP, [a, b]);
    const [a1, b1, a2, b2] = [device(a), device(b), device(a), device(b)];
    apply(g1, a1);
    apply(g1, b1);
    apply(g2, a2);
    apply(g2, b2);
    const m1 = say(a1, 'group one');
    expect(codeOf(() => read(b2, m1))).toBe('E2E_ERR_WRONG_GROUP');
    const moved = m1.slice();
    moved.set(OTHER_GROUP, 1);
    expect(codeOf(() => read(b2, moved))).toBe('E2E_ERR_BAD_SIGNATURE');
    g1.rotate();
    apply(g1, a1, 5);
    apply(g1, b1, 5);
    const m2 = say(a1, 'epoch two');
    const back = m2.slice();
    back[20] = back[20]! - 1; // claim the previous epoch, still held in the grace window
    expect(codeOf(() => read(b1, back))).toBe('E2E_ERR_BAD_SIGNATURE');
    expect(read(b1, m2)).toBe('epoch two');
    expect(read(b1, m1)).toBe('group one'); // the genuine old-epoch message still opens in the grace window
  });

  it('THE KICKED MEMBER: keeps all its state, never applies its removal, sees every later ciphertext and entry, and reads nothing sent after the kick', () => {
    const [a, b, c, k, j] = [identity(1), identity(2), identity(3), identity(11), identity(12)];
    const g = new ModelGroup(p, GROUP, [a, b, c, k]);
    const [da, db, dc, dk] = [device(a), device(b), device(c), device(k)];
    for (const d of [da, db, dc, dk]) apply(g, d);
    g.info(); // epoch 1: derived; the kicked member is still in
    for (const d of [da, db, dc, dk]) apply(g, d);
    const beforeKick = [say(da, 'pre 1'), say(db, 'pre 2'), say(dk, 'from k')];
    for (const m of beforeKick.slice(0, 2)) read(dk, m);
    const unreadBeforeKick = say(dc, 'pre 3');
    const kHeld: ReceiverState = dk.receiver!;
    const kSender = dk.sender!;

    // The kick (fresh secret to the remaining members), then more entries on top.
    const entries = [g.remove(k)];
    for (const d of [da, db, dc]) apply(g, d);
    const afterKick: Uint8Array[] = [say(da, 'secret 1'), say(db, 'secret 2'), say(dc, 'secret 3')];
    entries.push(g.info());
    for (const d of [da, db, dc]) apply(g, d);
    afterKick.push(say(da, 'secret 4'), say(dc, 'secret 5'));
    entries.push(g.add(j));
    const dj = device(j);
    for (const d of [da, db, dc, dj]) apply(g, d);
    afterKick.push(say(db, 'secret 6'), say(dj, 'secret 7'));
    // The remaining members read everything.
    expect(read(dc, afterKick[0]!)).toBe('secret 1');

    // Everything the kicked member holds: epoch secrets, sender roots, every chain key
    // (receiving, sending, skipped), also each advanced a few generations.
    const kKeys: Uint8Array[] = [];
    for (const s of dk.secrets) kKeys.push(s, senderRootOf(p, s));
    for (const e of kHeld.epochs) {
      for (const ch of e.chains) if (ch && ch !== REVOKED) kKeys.push(ch.chainKey, ...ch.skipped.map((x) => x.keyNonce.subarray(0, 32)));
    }
    kKeys.push(kSender.chainKey);
    // Every derivation through the later entries, from every secret it knows.
    const derived: { secret: Uint8Array; epoch: number }[] = [];
    for (const s of dk.secrets) {
      let cur = s;
      for (const entry of entries) {
        cur = deriveSecret(p, cur, EPOCH_NEXT_LABEL, entry.hash);
        derived.push({ secret: cur, epoch: entry.epoch });
      }
    }
    // The public facts of each later epoch: the kicked member has the log.
    const transcriptOf = (epoch: number): Uint8Array => {
      let t: Uint8Array = new Uint8Array(32);
      for (const e of g.log) {
        t = p.sha256(concatBytes(t, e.bytes));
        if (e.epoch === epoch) return t;
      }
      throw new Error('no such epoch');
    };
    const membersOf = (epoch: number) => (epoch >= entries[2]!.epoch ? [a, b, c, j] : epoch >= entries[0]!.epoch ? [a, b, c] : [a, b, c, k]);

    function kickedCanRead(m: Uint8Array, extraSecrets: Uint8Array[] = []): boolean {
      const parts = decodeGroupMessage(m);
      const h = parts.header;
      // 1. its own state, and the header rewritten to every epoch it holds
      if (codeOf(() => decryptGroupMessage(p, kHeld, m)) === 'ok') return true;
      for (const e of kHeld.epochs) {
        const x = m.slice();
        x[17] = e.epoch >>> 24; x[18] = (e.epoch >>> 16) & 255; x[19] = (e.epoch >>> 8) & 255; x[20] = e.epoch & 255;
        if (codeOf(() => decryptGroupMessage(p, kHeld, x)) === 'ok') return true;
      }
      // 2. a receiver state for the message's epoch from every secret it knows or derives
      const members = membersOf(h.epoch);
      const sender = [...members].sort((x, y) => (bytesToHex(x.memberId) < bytesToHex(y.memberId) ? -1 : 1))[h.senderIndex]!;
      const self = members.find((x) => x !== sender)!;
      const guesses = [...dk.secrets, ...derived.map((d) => d.secret), ...extraSecrets];
      for (const secret of guesses) {
        const st = startEpoch(p, { groupId: GROUP, epoch: h.epoch, transcriptHash: transcriptOf(h.epoch), senderRoot: senderRootOf(p, secret), members }, self.memberId, null, { now: 0 });
        if (codeOf(() => decryptGroupMessage(p, st.receiverState, m)) === 'ok') return true;
      }
      // 3. every raw key it holds, as a chain key and as a sender root, advanced to the generation
      const aad = messageAad(parts.headerBytes, transcriptOf(h.epoch));
      const candidates = [...kKeys, ...kKeys.map((x) => initialChainKey(p, x, GROUP, h.epoch, sender.memberId))];
      for (const start of candidates) {
        let ck = start;
        for (let gen = 0; gen <= h.generation + 2; gen++) {
          const kn = messageKeyNonce(p, ck);
          if (codeOf(() => p.xchachaOpen(kn.subarray(0, 32), kn.subarray(32), parts.ciphertext, aad)) === 'ok') return true;
          ck = nextChainKey(p, ck);
        }
      }
      return false;
    }

    // Controls: the attack reads what it should (a message from before the kick), and would
    // read a later message if it had the fresh secret (the harness can succeed).
    expect(kickedCanRead(unreadBeforeKick)).toBe(true);
    expect(kickedCanRead(afterKick[0]!, [da.secrets[2]!])).toBe(true);
    for (const m of afterKick) expect(kickedCanRead(m)).toBe(false);
  });

  it('a fork (two members shown different heads) is detected by the first message that crosses', () => {
    const [a, b, c] = [identity(1), identity(2), identity(3)];
    const g = new ModelGroup(p, GROUP, [a, b, c]);
    const [da, db] = [device(a), device(b)];
    apply(g, da);
    apply(g, db);
    // The relay accepts two different entries on the same head and shows one to each member.
    const viewA = g.view();
    const headA = p.sha256(concatBytes(viewA.input.transcriptHash, text('entry shown to a')));
    const headB = p.sha256(concatBytes(viewA.input.transcriptHash, text('entry shown to b')));
    const secretA = deriveSecret(p, viewA.epochSecret, EPOCH_NEXT_LABEL, headA);
    const secretB = deriveSecret(p, viewA.epochSecret, EPOCH_NEXT_LABEL, headB);
    const members = [a, b, c];
    const onA = startEpoch(p, { groupId: GROUP, epoch: 1, transcriptHash: headA, senderRoot: senderRootOf(p, secretA), members }, a.memberId, da.receiver, { now: 0 });
    const onB = startEpoch(p, { groupId: GROUP, epoch: 1, transcriptHash: headB, senderRoot: senderRootOf(p, secretB), members }, b.memberId, db.receiver, { now: 0 });
    const crossing = send(onA.senderState, a, text('on fork A')).bytes;
    expect(codeOf(() => decryptGroupMessage(p, onB.receiverState, crossing))).toBe('E2E_ERR_BAD_SIGNATURE');
    // Even with an identical epoch secret, a different head alone is caught (the transcript is signed).
    const sameSecretB = startEpoch(p, { groupId: GROUP, epoch: 1, transcriptHash: headB, senderRoot: senderRootOf(p, secretA), members }, b.memberId, db.receiver, { now: 0 });
    expect(codeOf(() => decryptGroupMessage(p, sameSecretB.receiverState, crossing))).toBe('E2E_ERR_BAD_SIGNATURE');
    // Control: a member on the same head reads it.
    const sameHead = startEpoch(p, { groupId: GROUP, epoch: 1, transcriptHash: headA, senderRoot: senderRootOf(p, secretA), members }, b.memberId, db.receiver, { now: 0 });
    expect(new TextDecoder().decode(decryptGroupMessage(p, sameHead.receiverState, crossing).plaintext)).toBe('on fork A');
  });

  /** A two-member group: the first member's encoded sender state and the second's receiver state. */
  function senderAndReceiver() {
    const [a, b] = [identity(1), identity(2)];
    const g = new ModelGroup(p, GROUP, [a, b]);
    const [da, db] = [device(a), device(b)];
    apply(g, da);
    apply(g, db);
    return { a, initial: encodeSenderState(da.sender!), receiverStart: db.receiver! };
  }

  it('a crash between encrypt and send never reuses a generation (random crash points)', () => {
    const { a, initial, receiverStart } = senderAndReceiver();
    fc.assert(
      fc.property(fc.array(fc.constantFrom('send', 'crash-before-persist', 'crash-after-persist', 'send-without-persist'), { minLength: 1, maxLength: 12 }), (steps) => {
        let disk = initial; // what survives a crash
        let mem = decodeSenderState(disk);
        const wire: Uint8Array[] = [];
        steps.forEach((step, i) => {
          const prepared = encryptGroupMessage(p, mem, text(`m${i}`), { identitySeed: a.seed });
          if (step === 'crash-before-persist') {
            mem = decodeSenderState(disk); // the process dies: only the disk remains
            return;
          }
          if (step === 'send-without-persist') {
            // The API refuses to hand out bytes against the state on disk.
            expect(codeOf(() => prepared.release(disk))).toBe('E2E_ERR_STATE_NOT_PERSISTED');
            mem = decodeSenderState(disk);
            return;
          }
          disk = encodeSenderState(prepared.nextState);
          if (step === 'crash-after-persist') {
            mem = decodeSenderState(disk);
            return;
          }
          wire.push(prepared.release(disk));
          mem = prepared.nextState;
        });
        const gens = wire.map((m) => decodeGroupMessage(m).header.generation);
        expect(new Set(gens).size).toBe(gens.length);
        let rx = receiverStart;
        for (const m of wire) rx = decryptGroupMessage(p, rx, m).nextState;
        return true;
      }),
      { numRuns: 40 },
    );
  });

  it('with reserved runs (one write per run, as the SDK does), crashes at random points never reuse a generation and the receiver bridges every gap', () => {
    const { a, initial, receiverStart } = senderAndReceiver();
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant('send' as const), fc.constant('crash' as const)), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 8 }), (steps, run) => {
        let disk = initial; // what survives a crash
        let mem = decodeSenderState(disk);
        const wire: Uint8Array[] = [];
        let writes = 0;
        // Between two crashes, the first send writes and each write covers `run` more sends.
        let expectedWrites = 0;
        let sendsSinceCrash = 0;
        const endSegment = () => {
          expectedWrites += Math.ceil(sendsSinceCrash / (run + 1));
          sendsSinceCrash = 0;
        };
        steps.forEach((step, i) => {
          if (step === 'crash') {
            mem = decodeSenderState(disk);
            endSegment();
            return;
          }
          const prepared = encryptGroupMessage(p, mem, text(`m${i}`), { identitySeed: a.seed });
          if (decodeSenderState(disk).generation < prepared.nextState.generation) {
            disk = encodeSenderState(reserveSenderState(p, prepared.nextState, run));
            writes++;
          }
          wire.push(prepared.release(disk));
          mem = prepared.nextState;
          sendsSinceCrash++;
        });
        endSegment();
        const gens = wire.map((m) => decodeGroupMessage(m).header.generation);
        for (let k = 1; k < gens.length; k++) expect(gens[k]!).toBeGreaterThan(gens[k - 1]!);
        expect(writes).toBe(expectedWrites);
        let rx = receiverStart;
        wire.forEach((m, k) => {
          const out = decryptGroupMessage(p, rx, m); // throws on a reused or unreachable generation
          expect(new TextDecoder().decode(out.plaintext)).toMatch(/^m\d+$/);
          expect(out.header.generation).toBe(gens[k]);
          rx = out.nextState;
        });
        return true;
      }),
      { numRuns: 60 },
    );
  });
});

describe('property: members read exactly the messages of epochs they were in', () => {
  type Op =
    | { t: 'join'; who: number }
    | { t: 'kick'; who: number }
    | { t: 'leave'; who: number }
    | { t: 'rotate' }
    | { t: 'send'; who: number };
  const POOL = 6;
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    { weight: 2, arbitrary: fc.nat({ max: POOL - 1 }).map((who) => ({ t: 'join' as const, who })) },
    { weight: 1, arbitrary: fc.nat({ max: POOL - 1 }).map((who) => ({ t: 'kick' as const, who })) },
    { weight: 1, arbitrary: fc.nat({ max: POOL - 1 }).map((who) => ({ t: 'leave' as const, who })) },
    { weight: 1, arbitrary: fc.constant({ t: 'rotate' as const }) },
    { weight: 5, arbitrary: fc.nat({ max: POOL - 1 }).map((who) => ({ t: 'send' as const, who })) },
  );

  it('random joins, kicks, leaves, rotations, sends and reorderings', () => {
    const ids = Array.from({ length: POOL }, (_, i) => identity(40 + i));
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 1_000_000 }), (ops, shuffleSeed) => {
        const g = new ModelGroup(p, GROUP, [ids[0]!, ids[1]!]);
        const devices = ids.map(device);
        const inEpoch: Set<number>[] = [];
        const memberIdx = () => new Set(g.members.map((m) => ids.indexOf(m)));
        const enter = () => {
          inEpoch[g.epoch] = memberIdx();
          for (const i of inEpoch[g.epoch]!) apply(g, devices[i]!, g.epoch);
        };
        enter();
        let pending: { epoch: number; sender: number; bytes: Uint8Array; text: string }[] = [];
        let rnd = shuffleSeed;
        const deliver = () => {
          // Messages of the epoch reach everyone (members and former members alike) in a shuffled order.
          const order = pending.map((m, i) => ({ m, k: (rnd = (rnd * 1103515245 + 12345) % 2147483648) + i })).sort((x, y) => x.k - y.k);
          for (const { m } of order) {
            for (let r = 0; r < POOL; r++) {
              if (r === m.sender) continue;
              const d = devices[r]!;
              const expected = inEpoch[m.epoch]!.has(r);
              const got = d.receiver ? codeOf(() => read(d, m.bytes)) : 'no state';
              if (expected) expect(got, `member ${r} reads epoch ${m.epoch}`).toBe('ok');
              else expect(got, `non-member ${r} of epoch ${m.epoch}`).not.toBe('ok');
            }
          }
          pending = [];
        };
        for (const op of ops) {
          const members = memberIdx();
          if (op.t === 'send') {
            const who = [...members].sort()[op.who % members.size]!; // some current member sends
            const s = `${g.epoch}/${who}/${pending.length}`;
            pending.push({ epoch: g.epoch, sender: who, bytes: say(devices[who]!, s), text: s });
            continue;
          }
          if (op.t === 'join' && members.has(op.who)) continue;
          if ((op.t === 'kick' || op.t === 'leave') && (!members.has(op.who) || members.size <= 1)) continue;
          deliver();
          if (op.t === 'join') {
            devices[op.who]!.receiver = null; // a (re)joiner starts from its welcome, not old state
            g.add(ids[op.who]!);
          } else if (op.t === 'rotate') g.rotate();
          else g.remove(ids[op.who]!);
          enter();
        }
        deliver();
        return true;
      }),
      { numRuns: 80 },
    );
  });
});
