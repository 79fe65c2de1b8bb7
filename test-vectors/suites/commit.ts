// Commit vectors: a deterministic group history (create, add with welcomes, remove, rotate,
// leave request, leave removal) with every intermediate secret, so a re-implementation can
// check each step of the epoch key schedule, the envelopes and the confirmation MAC.
// test-vectors/README.md "commit.json". Also exports the scenario for log-fold and
// storage-stability-log.
import { bytesToHex, concatBytes, equalBytes, hexToBytes } from '../../crypto/src/bytes';
import { isE2eeError } from '../../crypto/src/errors';
import { openEnvelope } from '../../crypto/src/envelope/envelope';
import {
  deriveEpochKeys,
  deriveEpochSecret,
  deriveJoinerSecret,
  confirmationMac,
  isFreshSecretKind,
} from '../../crypto/src/epoch/schedule';
import { identityFromSeed, type DeviceIdentity } from '../../crypto/src/identity/identity';
import { createPrekeyStore, prekeyBundleOf, type PrekeyStore } from '../../crypto/src/identity/prekeys';
import { signWithLabel, verifyWithLabel } from '../../crypto/src/kdf';
import { SIG } from '../../crypto/src/labels';
import {
  commitAdd,
  commitGroupInfo,
  commitLeaveRemoval,
  commitRemove,
  commitRotate,
  createGroup,
  requestLeave,
  type CommitResult,
  type PrekeyLookup,
} from '../../crypto/src/log/commit';
import type { GroupMemberState } from '../../crypto/src/log/member-state';
import { joinFromWelcome, processEntry } from '../../crypto/src/log/private-fold';
import { createPrimitives } from '../../crypto/src/primitives/index';
import { nobleBackend } from '../../crypto/src/primitives/noble';
import type { Primitives } from '../../crypto/src/primitives/types';
import { decodeEnvelope, envelopeHashOf } from '../../crypto/src/wire/envelope';
import {
  decodeLogEntry,
  entryHashOfContent,
  headHashOfEntry,
  logEntryContentOf,
  logEntrySignedPartOf,
  type GroupPolicy,
} from '../../crypto/src/wire/log-entry';
import { verifyPrekeyBundle } from '../../crypto/src/wire/identity';
import { decodeEpochSecretPayload, decodeWelcomePayload } from '../../crypto/src/wire/welcome';
import { seededRandom } from '../seeded-random';
import type { VectorSuite } from '../suite';

export const SCENARIO_SEED = 'wxe2ee commit vectors';

export const POLICY: GroupPolicy = {
  joinPolicy: 'invite-only',
  mayInvite: 'admins',
  mayEditInfo: 'admins',
  maySendMedia: 'members',
  groupMuted: false,
  mutedMembers: [],
  piiPolicy: new Uint8Array(0),
};

export interface ScenarioMember {
  name: string;
  identity: DeviceIdentity;
  prekeys: PrekeyStore;
  /** The prekey store as it was when the member was created (before one-time use). */
  initialPrekeys: PrekeyStore;
  state: GroupMemberState | null;
}

export interface ScenarioStep {
  comment: string;
  actor: string;
  commit: CommitResult;
  /** The actor's epoch secret before the commit (for derived kinds). */
  prevEpochSecret: Uint8Array | null;
}

/** Replays the scenario on `p` whose randomBytes is the seeded generator. */
export function buildScenario(p: Primitives): { members: Record<string, ScenarioMember>; steps: ScenarioStep[] } {
  const members: Record<string, ScenarioMember> = {};
  for (const name of ['owner', 'alice', 'bob', 'carol']) {
    const identity = identityFromSeed(p, p.randomBytes(32));
    const prekeys = createPrekeyStore(p, 0, 1);
    members[name] = { name, identity, prekeys, initialPrekeys: prekeys, state: null };
  }
  const m = (n: string) => members[n]!;
  const lookup: PrekeyLookup = (id) => {
    const d = Object.values(members).find((x) => equalBytes(x.identity.memberId, id));
    return d && { prekeyKind: 'signed', prekeyId: d.prekeys.signed.id, prekey: d.prekeys.signed.publicKey };
  };
  const steps: ScenarioStep[] = [];
  const apply = (comment: string, actor: string, make: (s: GroupMemberState | null) => CommitResult) => {
    const a = m(actor);
    const prev = a.state?.epochSecret ?? null;
    const commit = make(a.state);
    steps.push({ comment, actor, commit, prevEpochSecret: prev ? prev.slice() : null });
    a.state = commit.state;
    // Every other member processes it (joiners join from their welcome).
    for (const other of Object.values(members)) {
      if (other === a) continue;
      const decoded = decodeLogEntry(commit.entry);
      const idx = decoded.recipients.findIndex((r) => equalBytes(r.memberId, other.identity.memberId));
      const own = idx >= 0 ? commit.envelopes[idx]! : null;
      if (!other.state && own && decoded.body.kind === 'add') {
        const r = joinFromWelcome(p, other.identity.memberId, other.prekeys, commit.entry, own);
        other.state = r.state;
        other.prekeys = r.prekeys;
      } else if (other.state && !other.state.removed) {
        const r = processEntry(p, other.state, other.prekeys, commit.entry, own);
        other.state = r.state;
        other.prekeys = r.prekeys;
      }
    }
  };
  apply('create: epoch 0, fresh secret, no envelopes', 'owner', () => createGroup(p, m('owner').identity, { policy: POLICY, groupId: p.randomBytes(16) }));
  apply('group info: derived secret, info sealed under epoch 0 group-info key', 'owner', (s) =>
    commitGroupInfo(p, m('owner').identity, s!, { type: 'private', name: '家长群', announcement: 'welcome', avatar: new Uint8Array(0) }),
  );
  apply('add alice (one-time prekey), bob and carol (signed prekeys): derived secret, one welcome each', 'owner', (s) =>
    commitAdd(p, m('owner').identity, s!, [
      verifyPrekeyBundle(p, prekeyBundleOf(p, m('alice').identity.seed, m('alice').prekeys, m('alice').prekeys.oneTime[0]!.id)),
      verifyPrekeyBundle(p, prekeyBundleOf(p, m('bob').identity.seed, m('bob').prekeys)),
      verifyPrekeyBundle(p, prekeyBundleOf(p, m('carol').identity.seed, m('carol').prekeys)),
    ]),
  );
  apply('remove carol: fresh secret boxed to alice and bob', 'owner', (s) => commitRemove(p, m('owner').identity, s!, [m('carol').identity.memberId], lookup));
  apply('rotate by alice: fresh secret boxed to owner and bob', 'alice', (s) => commitRotate(p, m('alice').identity, s!, lookup));
  apply('leave request by bob: derived secret, no envelopes', 'bob', (s) => requestLeave(p, m('bob').identity, s!));
  apply('leave removal of bob by alice: fresh secret boxed to the owner', 'alice', (s) => commitLeaveRemoval(p, m('alice').identity, s!, lookup));
  return { members, steps };
}

export function scenarioPrimitives(p: Primitives, seed = SCENARIO_SEED): Primitives {
  const rnd = seededRandom(seed);
  return { ...p, randomBytes: (n: number) => rnd(n) };
}

interface RecipientVector {
  memberId: string;
  prekeyKind: string;
  prekeyId: number;
  prekeyPrivateKey: string;
  envelope: string;
  envelopeHash: string;
  joinerSecret: string;
}

interface CommitVector {
  tcId: number;
  comment: string;
  kind: string;
  epoch: number;
  actorIdentityKey: string;
  entry: string;
  entryHash: string;
  headHash: string;
  prevEpochSecret: string | null;
  /** null for the create entry: its fresh joiner secret is boxed to nobody. */
  joinerSecret: string | null;
  epochSecret: string;
  senderRoot: string;
  groupInfoKey: string;
  confirmationKey: string;
  confirmationMac: string;
  recipients: RecipientVector[];
  result: 'valid' | 'invalid';
  /** For invalid cases: the check that must fail. */
  failure?: string;
}

function vectorsOf(p: Primitives): CommitVector[] {
  const { members, steps } = buildScenario(scenarioPrimitives(p));
  const out: CommitVector[] = [];
  const byId = (id: Uint8Array) => Object.values(members).find((x) => equalBytes(x.identity.memberId, id))!;
  steps.forEach((step, i) => {
    const entry = decodeLogEntry(step.commit.entry);
    const entryHash = entryHashOfContent(p, logEntryContentOf(step.commit.entry));
    const epochSecret = step.commit.state.epochSecret!;
    const keys = deriveEpochKeys(p, epochSecret, entry.groupId, entry.epoch);
    const recipients: RecipientVector[] = entry.recipients.map((r, k) => {
      const env = step.commit.envelopes[k]!;
      const h = decodeEnvelope(env);
      const owner = byId(r.memberId);
      const key = h.prekeyKind === 'signed' ? owner.initialPrekeys.signed : owner.initialPrekeys.oneTime.find((x) => x.id === h.prekeyId)!;
      const payload = openEnvelope(p, env, key).payload;
      const joiner = entry.body.kind === 'add' ? decodeWelcomePayload(payload).joinerSecret : decodeEpochSecretPayload(payload);
      return {
        memberId: bytesToHex(r.memberId),
        prekeyKind: h.prekeyKind,
        prekeyId: h.prekeyId,
        prekeyPrivateKey: bytesToHex(key.privateKey),
        envelope: bytesToHex(env),
        envelopeHash: bytesToHex(r.envelopeHash),
        joinerSecret: bytesToHex(joiner),
      };
    });
    const joinerSecret = isFreshSecretKind(entry.body.kind)
      ? recipients[0]
        ? hexToBytes(recipients[0].joinerSecret)
        : null
      : deriveJoinerSecret(p, step.prevEpochSecret!, entry.groupId, entry.epoch);
    out.push({
      tcId: i + 1,
      comment: step.comment,
      kind: entry.body.kind,
      epoch: entry.epoch,
      actorIdentityKey: bytesToHex(members[step.actor]!.identity.publicKey),
      entry: bytesToHex(step.commit.entry),
      entryHash: bytesToHex(entryHash),
      headHash: bytesToHex(headHashOfEntry(p, step.commit.entry)),
      prevEpochSecret: step.prevEpochSecret ? bytesToHex(step.prevEpochSecret) : null,
      joinerSecret: joinerSecret ? bytesToHex(joinerSecret) : null,
      epochSecret: bytesToHex(epochSecret),
      senderRoot: bytesToHex(keys.senderRoot),
      groupInfoKey: bytesToHex(keys.groupInfoKey),
      confirmationKey: bytesToHex(keys.confirmationKey),
      confirmationMac: bytesToHex(entry.confirmationMac),
      recipients,
      result: 'valid',
    });
  });
  // Invalid: the rotate entry with its MAC replaced (and re-signed by its actor): the
  // signature verifies, the MAC does not.
  const rot = out.find((v) => v.kind === 'rotate')!;
  const bad = hexToBytes(rot.entry);
  const macOffset = bad.length - 96;
  bad[macOffset]! ^= 0x01;
  const actor = Object.values(members).find((x) => bytesToHex(x.identity.publicKey) === rot.actorIdentityKey)!;
  const signed = bad.subarray(0, bad.length - 64);
  const resigned = concatBytes(signed, signWithLabel(p, actor.identity.seed, SIG.LOG_ENTRY, signed));
  out.push({ ...rot, tcId: out.length + 1, comment: 'rotate with a wrong confirmation MAC, validly signed: clients raise E2E_ERR_COMMIT_UNVERIFIABLE (bad-mac)', entry: bytesToHex(resigned), confirmationMac: bytesToHex(resigned.subarray(macOffset, macOffset + 32)), headHash: bytesToHex(headHashOfEntry(p, resigned)), result: 'invalid', failure: 'confirmationMac' });
  return out;
}

export const suite: VectorSuite = {
  file: 'commit.json',
  generate() {
    const p = createPrimitives(nobleBackend, () => {
      throw new Error('the scenario draws randomness from its seeded source only');
    });
    return {
      algorithm: 'wxe2ee v1 membership log commits and epoch key schedule',
      seed: SCENARIO_SEED,
      notes: 'Entries of one group in order; each tests one commit. See test-vectors/README.md "commit.json".',
      tests: vectorsOf(p),
    };
  },
  verify(data, p) {
    const errors: string[] = [];
    const tests = (data as { tests: CommitVector[] }).tests;
    const check = (tc: CommitVector, field: string, expected: string, actual: Uint8Array) => {
      if (bytesToHex(actual) !== expected) errors.push(`tcId ${tc.tcId}: ${field}: expected ${expected.slice(0, 16)}.., got ${bytesToHex(actual).slice(0, 16)}..`);
    };
    for (const tc of tests) {
      try {
        const entryBytes = hexToBytes(tc.entry);
        const entry = decodeLogEntry(entryBytes);
        if (!verifyWithLabel(p, hexToBytes(tc.actorIdentityKey), SIG.LOG_ENTRY, logEntrySignedPartOf(entryBytes), entry.signature)) {
          errors.push(`tcId ${tc.tcId}: signature does not verify`);
        }
        const entryHash = entryHashOfContent(p, logEntryContentOf(entryBytes));
        check(tc, 'entryHash', tc.entryHash, entryHash);
        check(tc, 'headHash', tc.headHash, headHashOfEntry(p, entryBytes));
        tc.recipients.forEach((r, k) => {
          const env = hexToBytes(r.envelope);
          check(tc, `recipients[${k}].envelopeHash`, r.envelopeHash, envelopeHashOf(p, env));
          if (!equalBytes(entry.recipients[k]!.envelopeHash, envelopeHashOf(p, env))) errors.push(`tcId ${tc.tcId}: envelope ${k} not listed`);
          const priv = hexToBytes(r.prekeyPrivateKey);
          const payload = openEnvelope(p, env, { privateKey: priv, publicKey: p.x25519PublicKey(priv) }).payload;
          const joiner = tc.kind === 'add' ? decodeWelcomePayload(payload).joinerSecret : decodeEpochSecretPayload(payload);
          check(tc, `recipients[${k}].joinerSecret`, r.joinerSecret, joiner);
          if (r.joinerSecret !== tc.joinerSecret) errors.push(`tcId ${tc.tcId}: recipient ${k} got another joiner secret`);
        });
        if (tc.prevEpochSecret && !isFreshSecretKind(entry.body.kind)) {
          check(tc, 'joinerSecret', tc.joinerSecret ?? '', deriveJoinerSecret(p, hexToBytes(tc.prevEpochSecret), entry.groupId, entry.epoch));
        }
        if (tc.joinerSecret !== null) {
          check(tc, 'epochSecret', tc.epochSecret, deriveEpochSecret(p, hexToBytes(tc.joinerSecret), entryHash));
        }
        const keys = deriveEpochKeys(p, hexToBytes(tc.epochSecret), entry.groupId, entry.epoch);
        check(tc, 'senderRoot', tc.senderRoot, keys.senderRoot);
        check(tc, 'groupInfoKey', tc.groupInfoKey, keys.groupInfoKey);
        check(tc, 'confirmationKey', tc.confirmationKey, keys.confirmationKey);
        const mac = confirmationMac(p, keys.confirmationKey, entryHash);
        const macOk = equalBytes(mac, entry.confirmationMac);
        if (tc.result === 'valid' && !macOk) errors.push(`tcId ${tc.tcId}: confirmationMac does not verify`);
        if (tc.result === 'invalid' && macOk) errors.push(`tcId ${tc.tcId}: invalid MAC verified`);
      } catch (e) {
        errors.push(`tcId ${tc.tcId}: threw ${isE2eeError(e) ? e.code : String(e)}`);
      }
    }
    // Both ways: replaying the scenario with the same seed on this backend gives the same bytes.
    const replay = vectorsOf(p);
    replay.forEach((v, i) => {
      const tc = tests[i];
      if (!tc || tc.entry !== v.entry) errors.push(`tcId ${i + 1}: replayed entry differs on ${p.backend}`);
      else if (JSON.stringify(tc.recipients) !== JSON.stringify(v.recipients)) errors.push(`tcId ${i + 1}: replayed envelopes differ on ${p.backend}`);
    });
    return errors;
  },
};
