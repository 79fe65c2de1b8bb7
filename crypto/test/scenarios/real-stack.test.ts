// Scenarios over the whole protocol: part A's commits, private fold and key schedule
// (through its test relay harness, which runs the real public fold), and the message layer.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/bytes';
import { isE2eeError } from '../../src/errors';
import { deriveEpochKeys, deriveEpochSecret, deriveJoinerSecret } from '../../src/epoch/schedule';
import { commitAdd, commitGroupInfo, commitLeaveRemoval, commitRemove, commitRole, commitRotate, createGroup, requestLeave, type CommitResult } from '../../src/log/commit';
import { canSendInEpoch, epochView } from '../../src/log/member-state';
import { processEntry } from '../../src/log/private-fold';
import { foldPublicEntry, type PublicGroupState } from '../../src/log/public-fold';
import { initialChainKey, messageKeyNonce, nextChainKey } from '../../src/message/chain';
import { decryptGroupMessage } from '../../src/message/decrypt';
import { encryptGroupMessage, messageAad } from '../../src/message/encrypt';
import { startEpoch } from '../../src/message/session';
import { REVOKED, type ReceiverState, type SenderState } from '../../src/message/state';
import { nodeRandom } from '../../src/primitives/random';
import { loadBackends, primitivesFor } from '../../src/primitives/select';
import { decodeGroupMessage } from '../../src/wire/message';
import { decodeLogEntry, entryHashOfContent, logEntryContentOf } from '../../src/wire/log-entry';
import { Device, lookupOf, TestRelay } from '../log/harness';
import { defaultPolicy } from '../log/helpers';

await loadBackends();
// The node backend keeps this file fast; every backend gives identical results (vectors).
const p = primitivesFor('node', nodeRandom);

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return isE2eeError(e) ? e.code : `non-E2eeError ${String(e)}`;
  }
}

/** A device with its membership state (part A) and its message states (part B). */
class Member {
  readonly dev: Device;
  sender: SenderState | null = null;
  receiver: ReceiverState | null = null;
  epoch = -1;
  constructor(name: string) {
    this.dev = new Device(p, name, 6);
  }
  get id(): Uint8Array {
    return this.dev.id;
  }
  /** Enters the device's current epoch in the message layer, if it has a new one. */
  refresh(): void {
    const v = this.dev.state && epochView(p, this.dev.state);
    if (!v || v.epoch <= this.epoch) return;
    const st = startEpoch(p, v, this.id, this.receiver, { now: v.epoch });
    this.sender = st.senderState;
    this.receiver = st.receiverState;
    this.epoch = v.epoch;
  }
  adopt(c: CommitResult, relay: TestRelay): void {
    expect(relay.append(c)).toBe(true);
    this.dev.adopt(c, relay);
    this.refresh();
  }
  /** Processes every new entry one at a time, entering each epoch. */
  sync(relay: TestRelay): void {
    while (this.dev.cursor < relay.log.length && this.dev.state && !this.dev.state.removed) {
      const i = this.dev.cursor;
      const r = processEntry(p, this.dev.state, this.dev.prekeys, relay.log[i]!.entry, relay.envelopeFor(i, this.id));
      this.dev.state = r.state;
      this.dev.prekeys = r.prekeys;
      this.dev.cursor++;
      this.refresh();
    }
  }
  join(relay: TestRelay, index: number): void {
    this.dev.join(relay, index);
    this.receiver = null;
    this.epoch = -1;
    this.refresh();
  }
  say(text: string): Uint8Array {
    const prepared = encryptGroupMessage(p, this.sender!, new TextEncoder().encode(text), { identitySeed: this.dev.identity.seed });
    this.sender = prepared.nextState;
    return prepared.release(this.sender);
  }
  read(m: Uint8Array): string {
    const r = decryptGroupMessage(p, this.receiver!, m);
    this.receiver = r.nextState;
    return new TextDecoder().decode(r.plaintext);
  }
}

function bundleOf(m: Member) {
  return m.dev.bundle();
}

/** Owner creates, adds the others in one commit; everyone synced. */
function setup(names: string[]) {
  const relay = new TestRelay(p);
  const owner = new Member('owner');
  const others = names.map((n) => new Member(n));
  const created = createGroup(p, owner.dev.identity, { policy: defaultPolicy() });
  owner.adopt(created, relay);
  const add = commitAdd(p, owner.dev.identity, owner.dev.state!, others.map(bundleOf));
  owner.adopt(add, relay);
  for (const m of others) m.join(relay, relay.log.length - 1);
  return { relay, owner, others, all: [owner, ...others] };
}

describe('scenarios on the full protocol (commits, private fold, message layer)', () => {
  it('THE KICKED MEMBER never applies its removal, keeps all its state, gets every later ciphertext and entry, tries every key and derivation, and reads nothing sent after the kick', () => {
    const { relay, owner, others, all } = setup(['alice', 'bob', 'kicked']);
    const [alice, bob, kicked] = others as [Member, Member, Member];
    const pre = [owner.say('pre 1'), alice.say('pre 2')];
    for (const m of pre) expect(kicked.read(m).startsWith('pre')).toBe(true);
    const unreadPre = bob.say('pre 3');

    // What the kicked member keeps: everything.
    const kState = kicked.dev.state!;
    const kReceiver = kicked.receiver!;
    const kSender = kicked.sender!;
    const kPrekeys = kicked.dev.prekeys;
    const firstLater = relay.log.length;

    owner.adopt(commitRemove(p, owner.dev.identity, owner.dev.state!, [kicked.id], lookupOf(all.map((m) => m.dev))), relay);
    for (const m of [alice, bob]) m.sync(relay);
    // Injection: the kicked member keeps sending in the old epoch and a colluding relay forwards it.
    const injected = kicked.say('still here');
    expect(codeOf(() => alice.read(injected))).toBe('E2E_ERR_SENDER_REMOVED');
    const later: Uint8Array[] = [owner.say('secret 1'), alice.say('secret 2'), bob.say('secret 3')];
    owner.adopt(commitGroupInfo(p, owner.dev.identity, owner.dev.state!, { type: 'private', name: 'n', announcement: '', avatar: new Uint8Array(0) }), relay);
    for (const m of [alice, bob]) m.sync(relay);
    later.push(alice.say('secret 4'));
    const newbie = new Member('newbie');
    owner.adopt(commitAdd(p, owner.dev.identity, owner.dev.state!, [bundleOf(newbie)]), relay);
    newbie.join(relay, relay.log.length - 1);
    for (const m of [alice, bob]) m.sync(relay);
    later.push(newbie.say('secret 5'), bob.say('secret 6'));
    owner.adopt(commitRotate(p, owner.dev.identity, owner.dev.state!, lookupOf([owner, alice, bob, newbie].map((m) => m.dev))), relay);
    for (const m of [alice, bob, newbie]) m.sync(relay);
    later.push(owner.say('secret 7'));
    for (const m of later.slice(0, 3)) expect(newbie.receiver && codeOf(() => newbie.read(m))).not.toBe('ok');
    expect(bob.read(later[0]!)).toBe('secret 1');

    // The kicked member follows the public log itself (it gets every entry and envelope).
    const publicByEpoch = new Map<number, PublicGroupState>();
    let pub = kState.public;
    for (const logged of relay.log.slice(firstLater)) {
      pub = foldPublicEntry(p, pub, logged.entry, logged.envelopes);
      publicByEpoch.set(pub.epoch, pub);
    }
    // Every secret it holds and every derivation through every later entry.
    const roots: Uint8Array[] = [deriveEpochKeys(p, kState.epochSecret!, kState.public.groupId, kState.public.epoch).senderRoot];
    const heldSecrets: Uint8Array[] = [kState.epochSecret!];
    for (const start of heldSecrets) {
      let s = start;
      for (const logged of relay.log.slice(firstLater)) {
        const e = decodeLogEntry(logged.entry);
        const h = entryHashOfContent(p, logEntryContentOf(logged.entry));
        for (const joiner of [deriveJoinerSecret(p, s, e.groupId, e.epoch), s]) {
          const next = deriveEpochSecret(p, joiner, h);
          roots.push(deriveEpochKeys(p, next, e.groupId, e.epoch).senderRoot, next);
        }
        s = deriveEpochSecret(p, deriveJoinerSecret(p, s, e.groupId, e.epoch), h);
      }
    }
    // Every raw key of its message states and its prekeys.
    const rawKeys: Uint8Array[] = [kSender.chainKey, kState.epochSecret!, kPrekeys.signed.privateKey, ...kPrekeys.oneTime.map((k) => k.privateKey)];
    for (const e of kReceiver.epochs) for (const c of e.chains) if (c && c !== REVOKED) rawKeys.push(c.chainKey, ...c.skipped.map((k) => k.keyNonce.subarray(0, 32)));

    function kickedCanRead(m: Uint8Array, extraRoots: Uint8Array[] = []): boolean {
      if (codeOf(() => decryptGroupMessage(p, kReceiver, m)) === 'ok') return true;
      const parts = decodeGroupMessage(m);
      const h = parts.header;
      const facts = publicByEpoch.get(h.epoch) ?? (h.epoch === kState.public.epoch ? kState.public : null);
      if (!facts) return false;
      const members = facts.members.map((x) => ({ memberId: x.memberId, identityKey: x.identityKey }));
      const sender = members[h.senderIndex]!;
      const self = members.find((x) => bytesToHex(x.memberId) !== bytesToHex(sender.memberId))!;
      for (const root of [...roots, ...rawKeys, ...extraRoots]) {
        const st = startEpoch(p, { groupId: facts.groupId, epoch: h.epoch, transcriptHash: facts.headHash, senderRoot: root, members }, self.memberId, null, { now: 0 });
        if (codeOf(() => decryptGroupMessage(p, st.receiverState, m)) === 'ok') return true;
      }
      const aad = messageAad(parts.headerBytes, facts.headHash);
      for (const start of [...rawKeys, ...rawKeys.map((k) => initialChainKey(p, k, facts.groupId, h.epoch, sender.memberId))]) {
        let ck = start;
        for (let g = 0; g <= h.generation + 1; g++) {
          const kn = messageKeyNonce(p, ck);
          if (codeOf(() => p.xchachaOpen(kn.subarray(0, 32), kn.subarray(32), parts.ciphertext, aad)) === 'ok') return true;
          ck = nextChainKey(p, ck);
        }
      }
      return false;
    }

    // Controls: the attack reads an earlier message it missed, and a later one given the real root.
    expect(kickedCanRead(unreadPre)).toBe(true);
    const realRoot = epochView(p, owner.dev.state!)!.senderRoot;
    expect(kickedCanRead(later[6]!, [realRoot])).toBe(true);
    for (const m of later) expect(kickedCanRead(m)).toBe(false);
    // Its own client, if it ever processes the removal, learns it is out.
    expect(processEntry(p, kState, kPrekeys, relay.log[firstLater]!.entry, null).removed).toBe(true);
  });

  it('late join cannot read earlier messages, even from the welcome secret', () => {
    const { relay, owner, others } = setup(['alice']);
    const [alice] = others as [Member];
    const early = alice.say('before you');
    const joiner = new Member('joiner');
    owner.adopt(commitAdd(p, owner.dev.identity, owner.dev.state!, [bundleOf(joiner)]), relay);
    joiner.join(relay, relay.log.length - 1);
    alice.sync(relay);
    expect(codeOf(() => joiner.read(early))).toBe('E2E_ERR_UNKNOWN_EPOCH');
    const h = decodeGroupMessage(early).header;
    const v = epochView(p, joiner.dev.state!)!;
    const guess = startEpoch(p, { ...v, epoch: h.epoch }, joiner.id, null, { now: 0 });
    expect(codeOf(() => decryptGroupMessage(p, guess.receiverState, early))).not.toBe('ok');
    expect(joiner.read(alice.say('welcome'))).toBe('welcome');
  });

  it('a fork (the relay shows two members different heads) is detected by the first message that crosses', () => {
    const { relay, owner, others } = setup(['admin', 'bob']);
    const [admin, bob] = others as [Member, Member];
    owner.adopt(commitRole(p, owner.dev.identity, owner.dev.state!, admin.id, 'admin'), relay);
    for (const m of [admin, bob]) m.sync(relay);
    // A second relay view with the same history, then two different entries on the same head.
    const relayB = new TestRelay(p);
    for (const l of relay.log) expect(relayB.append(l)).toBe(true);
    owner.adopt(commitGroupInfo(p, owner.dev.identity, owner.dev.state!, { type: 'private', name: 'A', announcement: '', avatar: new Uint8Array(0) }), relay);
    admin.adopt(commitGroupInfo(p, admin.dev.identity, admin.dev.state!, { type: 'private', name: 'B', announcement: '', avatar: new Uint8Array(0) }), relayB);
    bob.sync(relayB);
    expect(owner.epoch).toBe(bob.epoch);
    expect(codeOf(() => bob.read(owner.say('on head A')))).toBe('E2E_ERR_BAD_SIGNATURE');
    expect(bob.read(admin.say('on head B'))).toBe('on head B');
  });
});

describe('property (full protocol): members read exactly the messages of epochs they were in', () => {
  type Op = { t: 'join' | 'kick' | 'leave' | 'send'; who: number } | { t: 'rotate' };
  const POOL = 4;
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    { weight: 2, arbitrary: fc.nat({ max: POOL - 1 }).map((who) => ({ t: 'join' as const, who })) },
    { weight: 1, arbitrary: fc.nat({ max: POOL - 1 }).map((who) => ({ t: 'kick' as const, who })) },
    { weight: 1, arbitrary: fc.nat({ max: POOL - 1 }).map((who) => ({ t: 'leave' as const, who })) },
    { weight: 1, arbitrary: fc.constant({ t: 'rotate' as const }) },
    { weight: 5, arbitrary: fc.nat({ max: 7 }).map((who) => ({ t: 'send' as const, who })) },
  );

  it('random joins, kicks, leaves, rotations, sends and shuffled deliveries', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 14 }), fc.integer({ min: 1, max: 1 << 30 }), (ops, seed) => {
        const relay = new TestRelay(p);
        const owner = new Member('owner');
        owner.adopt(createGroup(p, owner.dev.identity, { policy: defaultPolicy() }), relay);
        const pool = Array.from({ length: POOL }, (_, i) => new Member(`m${i}`));
        const everyone = [owner, ...pool];
        const inGroup = new Set<Member>([owner]);
        const membersOfEpoch = new Map<number, Set<Member>>([[owner.epoch, new Set(inGroup)]]);
        let pending: { epoch: number; from: Member; bytes: Uint8Array; text: string }[] = [];
        let rnd = seed;
        const deliver = () => {
          const order = pending.map((m) => ({ m, k: (rnd = (rnd * 1103515245 + 12345) % 2147483648) })).sort((x, y) => x.k - y.k);
          for (const { m } of order) {
            for (const d of everyone) {
              if (d === m.from) continue;
              const expected = membersOfEpoch.get(m.epoch)!.has(d);
              const got = d.receiver ? codeOf(() => d.read(m.bytes)) : 'no state';
              if (expected) expect(got, `${d.dev.name} in epoch ${m.epoch}`).toBe('ok');
              else expect(got, `${d.dev.name} not in epoch ${m.epoch}`).not.toBe('ok');
            }
          }
          pending = [];
        };
        const commit = (c: CommitResult, by: Member) => {
          deliver();
          by.adopt(c, relay);
          for (const m of inGroup) if (m !== by) m.sync(relay);
          membersOfEpoch.set(by.epoch, new Set(inGroup));
        };
        const lookup = () => lookupOf([...inGroup].map((m) => m.dev));
        // Start with two members besides the owner.
        owner.adopt(commitAdd(p, owner.dev.identity, owner.dev.state!, [bundleOf(pool[0]!), bundleOf(pool[1]!)]), relay);
        for (const m of [pool[0]!, pool[1]!]) {
          m.join(relay, relay.log.length - 1);
          inGroup.add(m);
        }
        membersOfEpoch.set(owner.epoch, new Set(inGroup));
        for (const op of ops) {
          if (op.t === 'send') {
            const senders = [...inGroup].filter((m) => canSendInEpoch(m.dev.state!));
            if (senders.length === 0) continue;
            const from = senders[op.who % senders.length]!;
            const text = `${from.epoch}:${from.dev.name}:${pending.length}`;
            pending.push({ epoch: from.epoch, from, bytes: from.say(text), text });
            continue;
          }
          if (op.t === 'rotate') {
            commit(commitRotate(p, owner.dev.identity, owner.dev.state!, lookup()), owner);
            continue;
          }
          const who = pool[op.who]!;
          if (op.t === 'join') {
            if (inGroup.has(who)) continue;
            deliver();
            owner.adopt(commitAdd(p, owner.dev.identity, owner.dev.state!, [bundleOf(who)]), relay);
            for (const m of inGroup) if (m !== owner) m.sync(relay);
            who.join(relay, relay.log.length - 1);
            inGroup.add(who);
            membersOfEpoch.set(owner.epoch, new Set(inGroup));
            continue;
          }
          if (!inGroup.has(who)) continue;
          if (op.t === 'leave') {
            commit(requestLeave(p, who.dev.identity, who.dev.state!), who);
            inGroup.delete(who);
            commit(commitLeaveRemoval(p, owner.dev.identity, owner.dev.state!, lookup()), owner);
          } else {
            inGroup.delete(who);
            commit(commitRemove(p, owner.dev.identity, owner.dev.state!, [who.id], lookup()), owner);
          }
        }
        deliver();
        for (const m of inGroup) expect(m.epoch).toBe(owner.epoch);
        return true;
      }),
      { numRuns: 25 },
    );
  });
});
