// npm run bench -- kick [--quick]
// The cost of removing one member from a 500-member group (docs/BENCH.md):
//   kick-commit  (ours-*): the committer builds the remove entry with a fresh secret boxed
//                to the 498 remaining members (commitRemove), ms.
//   kick-process (ours-*): one remaining member applies it (processEntry: public fold as a
//                member, open its envelope, derive the epoch, check the MAC), ms.
//   kick-rekey   (libsignal): Signal's way. After a kick every remaining member makes a new
//                sender key and sends its distribution message to each of the n-2 others over
//                a 1:1 session; (n-1)(n-2) session encryptions and decryptions in the group.
//                Measured on a sample of pairwise sends and extrapolated (params say so):
//                scope "per-member" = create + (n-2) * (encrypt + decrypt + process),
//                scope "group" = (n-1) * per-member (total CPU over the group).
// Setup (identities, prekeys, a 500-member group) runs on the node backend and is not timed;
// each timed figure is the median over rounds on the backend it names.
import {
  CiphertextMessageType,
  IdentityChange,
  IdentityKeyPair,
  IdentityKeyStore,
  KEMKeyPair,
  KyberPreKeyRecord,
  KyberPreKeyStore,
  PreKeyBundle,
  PreKeyRecord,
  PreKeySignalMessage,
  PreKeyStore,
  PrivateKey,
  processPreKeyBundle,
  processSenderKeyDistributionMessage,
  ProtocolAddress,
  PublicKey,
  SenderKeyDistributionMessage,
  SenderKeyRecord,
  SenderKeyStore,
  SessionRecord,
  SessionStore,
  SignalMessage,
  signalDecrypt,
  signalDecryptPreKey,
  signalEncrypt,
  SignedPreKeyRecord,
  SignedPreKeyStore,
} from '@signalapp/libsignal-client';
import { bytesToHex, equalBytes } from '../../crypto/src/bytes';
import { generateIdentity, type DeviceIdentity } from '../../crypto/src/identity/identity';
import { createPrekeyStore, prekeyBundleOf, type PrekeyStore } from '../../crypto/src/identity/prekeys';
import { commitAdd, commitRemove, createGroup, type PrekeyLookup } from '../../crypto/src/log/commit';
import type { GroupMemberState } from '../../crypto/src/log/member-state';
import { joinFromWelcome, processEntry } from '../../crypto/src/log/private-fold';
import { nodeRandom } from '../../crypto/src/primitives/random';
import { loadBackends, primitivesFor } from '../../crypto/src/primitives/select';
import type { Primitives } from '../../crypto/src/primitives/types';
import { decodeEnvelopeRecipient } from '../../crypto/src/wire/envelope';
import { verifyPrekeyBundle } from '../../crypto/src/wire/identity';
import { emitFigure, emitRatio, median } from '../schema';

const MEMBERS = 500;
const PARAMS = { members: MEMBERS };

interface Member {
  identity: DeviceIdentity;
  prekeys: PrekeyStore;
}

interface Fixture {
  owner: Member;
  ownerState: GroupMemberState;
  members: Member[];
  /** A member (not the victim) whose processing is measured, with its state after joining. */
  observer: Member;
  observerState: GroupMemberState;
  victim: Uint8Array;
  lookup: PrekeyLookup;
}

function fixture(p: Primitives): Fixture {
  const mk = (): Member => ({ identity: generateIdentity(p), prekeys: createPrekeyStore(p, 0) });
  const owner = mk();
  const members = Array.from({ length: MEMBERS - 1 }, mk);
  const created = createGroup(p, owner.identity, {
    policy: { joinPolicy: 'invite-only', mayInvite: 'admins', mayEditInfo: 'admins', maySendMedia: 'members', groupMuted: false, mutedMembers: [], piiPolicy: new Uint8Array(0) },
  });
  const add = commitAdd(p, owner.identity, created.state, members.map((m) => verifyPrekeyBundle(p, prekeyBundleOf(p, m.identity.seed, m.prekeys))));
  const observer = members[7]!;
  const welcome = add.envelopes.find((e) => equalBytes(decodeEnvelopeRecipient(e), observer.identity.memberId))!;
  const joined = joinFromWelcome(p, observer.identity.memberId, observer.prekeys, add.entry, welcome);
  // The committer's cache of verified signed prekeys, by member ID (a client keeps one).
  const byId = new Map(members.map((m) => [bytesToHex(m.identity.memberId), { prekeyKind: 'signed' as const, prekeyId: m.prekeys.signed.id, prekey: m.prekeys.signed.publicKey }]));
  const lookup: PrekeyLookup = (id) => byId.get(bytesToHex(id));
  return { owner, ownerState: add.state, members, observer, observerState: joined.state, victim: members[3]!.identity.memberId, lookup };
}

function timeMs(fn: () => void, rounds: number): number {
  fn(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    fn();
    samples.push(performance.now() - t);
  }
  return median(samples);
}

function ours(p: Primitives, f: Fixture, rounds: number): { commit: number; process: number } {
  let last = commitRemove(p, f.owner.identity, f.ownerState, [f.victim], f.lookup);
  const commit = timeMs(() => {
    last = commitRemove(p, f.owner.identity, f.ownerState, [f.victim], f.lookup);
  }, rounds);
  const own = last.envelopes.find((e) => equalBytes(decodeEnvelopeRecipient(e), f.observer.identity.memberId))!;
  const process = timeMs(() => {
    const r = processEntry(p, f.observerState, f.observer.prekeys, last.entry, own);
    if (r.alarm || !r.state.epochSecret) throw new Error('kick-process: the observer could not apply the removal');
  }, rounds);
  return { commit, process };
}

// --- libsignal: in-memory stores ----------------------------------------------------------

class Stores extends IdentityKeyStore {
  readonly sessions = new MemorySessions();
  readonly prekeys = new MemoryPreKeys();
  readonly signed = new MemorySignedPreKeys();
  readonly kyber = new MemoryKyberPreKeys();
  readonly senderKeys = new MemorySenderKeys();
  private readonly identities = new Map<string, PublicKey>();
  constructor(readonly pair: IdentityKeyPair, readonly registrationId: number) {
    super();
  }
  async getIdentityKey(): Promise<PrivateKey> {
    return this.pair.privateKey;
  }
  async getLocalRegistrationId(): Promise<number> {
    return this.registrationId;
  }
  async saveIdentity(name: ProtocolAddress, key: PublicKey): Promise<IdentityChange> {
    const had = this.identities.has(name.toString());
    this.identities.set(name.toString(), key);
    return had ? IdentityChange.ReplacedExisting : IdentityChange.NewOrUnchanged;
  }
  async isTrustedIdentity(): Promise<boolean> {
    return true;
  }
  async getIdentity(name: ProtocolAddress): Promise<PublicKey | null> {
    return this.identities.get(name.toString()) ?? null;
  }
}
class MemorySessions extends SessionStore {
  private readonly m = new Map<string, SessionRecord>();
  async saveSession(name: ProtocolAddress, record: SessionRecord): Promise<void> {
    this.m.set(name.toString(), record);
  }
  async getSession(name: ProtocolAddress): Promise<SessionRecord | null> {
    return this.m.get(name.toString()) ?? null;
  }
  async getExistingSessions(addresses: ProtocolAddress[]): Promise<SessionRecord[]> {
    return addresses.map((a) => this.m.get(a.toString())).filter((r): r is SessionRecord => !!r);
  }
}
class MemoryPreKeys extends PreKeyStore {
  private readonly m = new Map<number, PreKeyRecord>();
  async savePreKey(id: number, record: PreKeyRecord): Promise<void> {
    this.m.set(id, record);
  }
  async getPreKey(id: number): Promise<PreKeyRecord> {
    return this.m.get(id)!;
  }
  async removePreKey(id: number): Promise<void> {
    this.m.delete(id);
  }
}
class MemorySignedPreKeys extends SignedPreKeyStore {
  private readonly m = new Map<number, SignedPreKeyRecord>();
  async saveSignedPreKey(id: number, record: SignedPreKeyRecord): Promise<void> {
    this.m.set(id, record);
  }
  async getSignedPreKey(id: number): Promise<SignedPreKeyRecord> {
    return this.m.get(id)!;
  }
}
class MemoryKyberPreKeys extends KyberPreKeyStore {
  private readonly m = new Map<number, KyberPreKeyRecord>();
  async saveKyberPreKey(id: number, record: KyberPreKeyRecord): Promise<void> {
    this.m.set(id, record);
  }
  async getKyberPreKey(id: number): Promise<KyberPreKeyRecord> {
    return this.m.get(id)!;
  }
  async markKyberPreKeyUsed(): Promise<void> {}
}
class MemorySenderKeys extends SenderKeyStore {
  private readonly m = new Map<string, SenderKeyRecord>();
  async saveSenderKey(sender: ProtocolAddress, distributionId: string, record: SenderKeyRecord): Promise<void> {
    this.m.set(`${sender.toString()}/${distributionId}`, record);
  }
  async getSenderKey(sender: ProtocolAddress, distributionId: string): Promise<SenderKeyRecord | null> {
    return this.m.get(`${sender.toString()}/${distributionId}`) ?? null;
  }
}

interface Party {
  address: ProtocolAddress;
  stores: Stores;
}

async function party(uuid: string, registrationId: number): Promise<Party & { bundle: PreKeyBundle }> {
  const pair = IdentityKeyPair.generate();
  const stores = new Stores(pair, registrationId);
  const spk = PrivateKey.generate();
  const spkSig = pair.privateKey.sign(spk.getPublicKey().serialize());
  await stores.signed.saveSignedPreKey(1, SignedPreKeyRecord.new(1, Date.now(), spk.getPublicKey(), spk, spkSig));
  const kem = KEMKeyPair.generate();
  const kemSig = pair.privateKey.sign(kem.getPublicKey().serialize());
  await stores.kyber.saveKyberPreKey(1, KyberPreKeyRecord.new(1, Date.now(), kem, kemSig));
  const otk = PrivateKey.generate();
  await stores.prekeys.savePreKey(1, PreKeyRecord.new(1, otk.getPublicKey(), otk));
  const bundle = PreKeyBundle.new(registrationId, 1, 1, otk.getPublicKey(), 1, spk.getPublicKey(), spkSig, pair.publicKey, 1, kem.getPublicKey(), kemSig);
  return { address: ProtocolAddress.new(uuid, 1), stores, bundle };
}

async function send(from: Party, to: Party, plaintext: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const c = await signalEncrypt(plaintext, to.address, from.address, from.stores.sessions, from.stores);
  const bytes = c.serialize();
  if (c.type() === CiphertextMessageType.PreKey) {
    return signalDecryptPreKey(PreKeySignalMessage.deserialize(bytes), from.address, to.address, to.stores.sessions, to.stores, to.stores.prekeys, to.stores.signed, to.stores.kyber);
  }
  return signalDecrypt(SignalMessage.deserialize(bytes), from.address, to.address, to.stores.sessions, to.stores);
}

/** ms for one pairwise sender-key distribution (encrypt, decrypt, process), and for one create. */
async function libsignalSample(samples: number): Promise<{ perSend: number; create: number }> {
  const a = await party('9d0652a3-dcc3-4d11-975f-74d61598733f', 11);
  const b = await party('5b3f4ee1-8c1d-4a6e-9c43-7a1f0e2b9d10', 22);
  await processPreKeyBundle(b.bundle, b.address, a.address, a.stores.sessions, a.stores);
  // Establish the session both ways so later messages are ordinary (not prekey) messages.
  await send(a, b, new Uint8Array(8));
  await send(b, a, new Uint8Array(8));
  const perSend: number[] = [];
  const creates: number[] = [];
  for (let i = 0; i < samples; i++) {
    // Alternate directions: each message then carries a DH ratchet step, as in a real rekey
    // where every pair exchanges distribution messages both ways.
    const [from, to] = i % 2 === 0 ? [a, b] : [b, a];
    const distributionId = `d1d1d1d1-7000-11eb-b32a-${String(100000000000 + i).slice(-12)}`;
    let t = performance.now();
    const skdm = await SenderKeyDistributionMessage.create(from.address, distributionId, from.stores.senderKeys);
    creates.push(performance.now() - t);
    t = performance.now();
    const received = await send(from, to, skdm.serialize());
    await processSenderKeyDistributionMessage(from.address, SenderKeyDistributionMessage.deserialize(received), to.stores.senderKeys);
    perSend.push(performance.now() - t);
  }
  return { perSend: median(perSend), create: median(creates) };
}

/** Our kick-commit and kick-process on the node backend (for other suites' ratio lines). */
export async function measureOursOnNode(rounds: number): Promise<{ commit: number; process: number } | null> {
  const raw = await loadBackends();
  if (!raw.some((b) => b.name === 'node')) return null;
  const p = primitivesFor('node', nodeRandom);
  return ours(p, fixture(p), rounds);
}

export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const raw = await loadBackends();
  const setup = primitivesFor(raw.some((b) => b.name === 'node') ? 'node' : 'noble', nodeRandom);
  const f = fixture(setup);
  const results: Record<string, { commit: number; process: number }> = {};
  for (const name of ['node', 'sodium', 'noble'] as const) {
    if (!raw.some((b) => b.name === name)) {
      process.stdout.write(`# kick: backend ${name} unavailable, skipped\n`);
      continue;
    }
    const rounds = quick ? (name === 'noble' ? 1 : 3) : name === 'noble' ? 5 : 15;
    const r = ours(primitivesFor(name, nodeRandom), f, rounds);
    results[name] = r;
    emitFigure({ name: 'kick-commit', impl: `ours-${name}`, unit: 'ms', value: r.commit, params: PARAMS });
    emitFigure({ name: 'kick-process', impl: `ours-${name}`, unit: 'ms', value: r.process, params: { ...PARAMS, scope: 'per-member' } });
  }
  const samples = quick ? 20 : 200;
  const ls = await libsignalSample(samples);
  const perMember = ls.create + (MEMBERS - 2) * ls.perSend;
  const method = `extrapolated from ${samples} sampled pairwise sends: create + (n-2) * send`;
  emitFigure({ name: 'kick-rekey', impl: 'libsignal', unit: 'ms', value: perMember, params: { ...PARAMS, scope: 'per-member', method } });
  emitFigure({ name: 'kick-rekey', impl: 'libsignal', unit: 'ms', value: (MEMBERS - 1) * perMember, params: { ...PARAMS, scope: 'group', method: `(n-1) * per-member; ${method}` } });
  const node = results['node'];
  if (node) {
    emitRatio('kick-rekey/libsignal', 'kick-process/ours-node', perMember / node.process, { ...PARAMS, scope: 'per-member' });
    emitRatio('kick-rekey/libsignal', 'kick-commit/ours-node', ((MEMBERS - 1) * perMember) / (node.commit + (MEMBERS - 1) * node.process), { ...PARAMS, scope: 'group (ours: commit + every member processing)' });
  }
}
