// Public fold vectors: a valid chain with the public state after every entry, and entries
// the fold must reject, each with the stable error code it must raise.
// test-vectors/README.md "log-fold.json".
import { bytesToHex, concatBytes, hexToBytes } from '../../crypto/src/bytes';
import { isE2eeError } from '../../crypto/src/errors';
import { signWithLabel } from '../../crypto/src/kdf';
import { SIG } from '../../crypto/src/labels';
import { requiredRecipients, envelopeKindFor, foldPublicEntry, foldPublicGenesis } from '../../crypto/src/log/public-fold';
import { createPrimitives } from '../../crypto/src/primitives/index';
import { nobleBackend } from '../../crypto/src/primitives/noble';
import type { Primitives } from '../../crypto/src/primitives/types';
import { encodeEnvelope, envelopeHashOf } from '../../crypto/src/wire/envelope';
import { memberIdOf } from '../../crypto/src/identity/member-id';
import { identityFromSeed, type DeviceIdentity } from '../../crypto/src/identity/identity';
import { compareIds, encodeLogEntryContent, type EntryBody, type LogEntryContent } from '../../crypto/src/wire/log-entry';
import { decodePublicGroupState, encodePublicGroupState, type PublicGroupState } from '../../crypto/src/wire/public-state';
import { seededRandom } from '../seeded-random';
import type { VectorSuite } from '../suite';
import { buildScenario, scenarioPrimitives } from './commit';

interface ChainVector {
  tcId: number;
  comment: string;
  genesis: string;
  stateAfterGenesis: string;
  entries: { entry: string; envelopes: string[]; stateAfter: string }[];
  result: 'valid';
}

interface RejectionVector {
  tcId: number;
  comment: string;
  state: string;
  entry: string;
  envelopes: string[];
  result: 'invalid';
  error: string;
}

/** An entry signed by `signer` (defaults to the actor) under `label`, with placeholder envelopes. */
function forge(
  p: Primitives,
  rnd: (n: number) => Uint8Array,
  state: PublicGroupState,
  actor: DeviceIdentity,
  body: EntryBody,
  opts: { label?: string; signer?: DeviceIdentity; tweak?: (c: LogEntryContent) => LogEntryContent } = {},
) {
  const epoch = state.epoch + 1;
  let after = state.members.map((m) => m.memberId);
  let joiners: Uint8Array[] = [];
  if (body.kind === 'add') joiners = body.identityKeys.map((k) => memberIdOf(p, k)).sort(compareIds);
  if (body.kind === 'remove') after = after.filter((id) => !body.memberIds.some((r) => compareIds(r, id) === 0));
  const ids = requiredRecipients(body.kind, actor.memberId, after.map((memberId) => ({ memberId, identityKey: memberId, role: 'member' as const, leaveRequested: false })), joiners);
  const kind = envelopeKindFor(body.kind);
  const envelopes = kind
    ? ids.map((recipient) =>
        encodeEnvelope({ version: 1, kind, groupId: state.groupId, epoch, recipient, prekeyKind: 'signed', prekeyId: 1, ephemeral: rnd(32), sealed: rnd(48) }),
      )
    : [];
  let content: LogEntryContent = {
    version: 1,
    groupId: state.groupId,
    epoch,
    prevHash: state.headHash,
    actor: actor.memberId,
    body,
    recipients: ids.map((memberId, i) => ({ memberId, envelopeHash: envelopeHashOf(p, envelopes[i]!) })),
  };
  if (opts.tweak) content = opts.tweak(content);
  const signed = concatBytes(encodeLogEntryContent(content), rnd(32));
  const entry = concatBytes(signed, signWithLabel(p, (opts.signer ?? actor).seed, opts.label ?? SIG.LOG_ENTRY, signed));
  return { entry, envelopes };
}

function build(p: Primitives) {
  const { members, steps } = buildScenario(scenarioPrimitives(p));
  const rnd = seededRandom('wxe2ee log-fold vectors');
  const chain: ChainVector = {
    tcId: 1,
    comment: 'create, group info, add three, remove, rotate, leave request, leave removal',
    genesis: bytesToHex(steps[0]!.commit.entry),
    stateAfterGenesis: '',
    entries: [],
    result: 'valid',
  };
  let state = foldPublicGenesis(p, steps[0]!.commit.entry);
  chain.stateAfterGenesis = bytesToHex(encodePublicGroupState(state));
  const states: PublicGroupState[] = [state];
  for (const step of steps.slice(1)) {
    state = foldPublicEntry(p, state, step.commit.entry, step.commit.envelopes);
    states.push(state);
    chain.entries.push({ entry: bytesToHex(step.commit.entry), envelopes: step.commit.envelopes.map(bytesToHex), stateAfter: bytesToHex(encodePublicGroupState(state)) });
  }
  // Rejections on the state after the add (owner, alice, bob, carol are members).
  const base = states[2]!;
  const { owner, alice, bob } = members as Record<string, { identity: DeviceIdentity }>;
  const outsider = identityFromSeed(p, rnd(32));
  const rejections: RejectionVector[] = [];
  const reject = (comment: string, error: string, built: { entry: Uint8Array; envelopes: Uint8Array[] }, on: PublicGroupState = base) => {
    rejections.push({
      tcId: 2 + rejections.length,
      comment,
      state: bytesToHex(encodePublicGroupState(on)),
      entry: bytesToHex(built.entry),
      envelopes: built.envelopes.map(bytesToHex),
      result: 'invalid',
      error,
    });
  };
  const next = steps[3]!.commit; // the remove of carol, valid on `base`
  const badSig = new Uint8Array(next.entry);
  badSig[badSig.length - 1]! ^= 0x01;
  reject('bad signature: last signature byte flipped', 'E2E_ERR_BAD_SIGNATURE', { entry: badSig, envelopes: next.envelopes });
  const badContent = new Uint8Array(next.entry);
  badContent[badContent.length - 97]! ^= 0x01;
  reject('bad signature: last content byte (an envelope hash) changed', 'E2E_ERR_BAD_SIGNATURE', { entry: badContent, envelopes: next.envelopes });
  reject('wrong label: signed as a relay auth challenge', 'E2E_ERR_BAD_SIGNATURE', forge(p, rnd, base, alice!.identity, { kind: 'rotate' }, { label: SIG.RELAY_AUTH }));
  reject('wrong label: signed as a prekey bundle', 'E2E_ERR_BAD_SIGNATURE', forge(p, rnd, base, alice!.identity, { kind: 'rotate' }, { label: SIG.PREKEY_BUNDLE }));
  reject('ghost member: the relay signs an add naming the owner as actor', 'E2E_ERR_BAD_SIGNATURE', forge(p, rnd, base, owner!.identity, { kind: 'add', identityKeys: [outsider.publicKey] }, { signer: outsider }));
  reject('ghost member: a non-member adds itself', 'E2E_ERR_UNAUTHORISED', forge(p, rnd, base, outsider, { kind: 'add', identityKeys: [outsider.publicKey] }));
  reject('unauthorised actor: a member removes a member', 'E2E_ERR_UNAUTHORISED', forge(p, rnd, base, alice!.identity, { kind: 'remove', memberIds: [bob!.identity.memberId] }));
  reject('unauthorised actor: a member changes a role', 'E2E_ERR_UNAUTHORISED', forge(p, rnd, base, alice!.identity, { kind: 'role', memberId: bob!.identity.memberId, role: 'admin' }));
  reject('unauthorised actor: a member dissolves the group', 'E2E_ERR_UNAUTHORISED', forge(p, rnd, base, alice!.identity, { kind: 'dissolve' }));
  reject('owner cannot leave before transferring ownership', 'E2E_ERR_OWNER_CANNOT_LEAVE', forge(p, rnd, base, owner!.identity, { kind: 'leave-request' }));
  reject('broken chain: wrong prevHash', 'E2E_ERR_BROKEN_CHAIN', forge(p, rnd, base, alice!.identity, { kind: 'rotate' }, { tweak: (c) => ({ ...c, prevHash: rnd(32) }) }));
  reject('broken chain: epoch skipped', 'E2E_ERR_BROKEN_CHAIN', forge(p, rnd, base, alice!.identity, { kind: 'rotate' }, { tweak: (c) => ({ ...c, epoch: c.epoch + 1 }) }));
  reject('broken chain: an entry replayed on the state it produced', 'E2E_ERR_BROKEN_CHAIN', { entry: next.entry, envelopes: next.envelopes }, states[3]!);
  reject('wrong group', 'E2E_ERR_WRONG_GROUP', forge(p, rnd, base, alice!.identity, { kind: 'rotate' }, { tweak: (c) => ({ ...c, groupId: rnd(16) }) }));
  reject('envelope mismatch: a rotation that leaves one member out', 'E2E_ERR_ENVELOPE_MISMATCH', (() => {
    const f = forge(p, rnd, base, alice!.identity, { kind: 'rotate' }, { tweak: (c) => ({ ...c, recipients: c.recipients.slice(1) }) });
    return { entry: f.entry, envelopes: f.envelopes.slice(1) };
  })());
  reject('envelope mismatch: envelopes supplied in the wrong order', 'E2E_ERR_ENVELOPE_MISMATCH', { entry: next.entry, envelopes: [...next.envelopes].reverse() });
  reject('invalid entry: adding an existing member', 'E2E_ERR_INVALID_ENTRY', forge(p, rnd, base, owner!.identity, { kind: 'add', identityKeys: [alice!.identity.publicKey] }));
  return { chains: [chain], rejections };
}

export const suite: VectorSuite = {
  file: 'log-fold.json',
  generate() {
    const p = createPrimitives(nobleBackend, () => {
      throw new Error('generators use seeded randomness only');
    });
    return {
      algorithm: 'wxe2ee v1 membership log: public fold',
      notes: 'See test-vectors/README.md "log-fold.json". States are encoded PublicGroupState.',
      ...build(p),
    };
  },
  verify(data, p) {
    const errors: string[] = [];
    const d = data as { chains: ChainVector[]; rejections: RejectionVector[] };
    for (const c of d.chains) {
      try {
        let s = foldPublicGenesis(p, hexToBytes(c.genesis));
        if (bytesToHex(encodePublicGroupState(s)) !== c.stateAfterGenesis) errors.push(`tcId ${c.tcId}: state after genesis differs`);
        c.entries.forEach((e, i) => {
          s = foldPublicEntry(p, s, hexToBytes(e.entry), e.envelopes.map(hexToBytes));
          if (bytesToHex(encodePublicGroupState(s)) !== e.stateAfter) errors.push(`tcId ${c.tcId}: state after entry ${i + 1} differs`);
          if (bytesToHex(encodePublicGroupState(decodePublicGroupState(p, hexToBytes(e.stateAfter)))) !== e.stateAfter) errors.push(`tcId ${c.tcId}: state ${i + 1} does not round-trip`);
        });
      } catch (e) {
        errors.push(`tcId ${c.tcId}: valid chain rejected: ${isE2eeError(e) ? e.code : String(e)}`);
      }
    }
    for (const r of d.rejections) {
      try {
        foldPublicEntry(p, decodePublicGroupState(p, hexToBytes(r.state)), hexToBytes(r.entry), r.envelopes.map(hexToBytes));
        errors.push(`tcId ${r.tcId}: accepted, expected ${r.error}`);
      } catch (e) {
        const code = isE2eeError(e) ? e.code : String(e);
        if (code !== r.error) errors.push(`tcId ${r.tcId}: error: expected ${r.error}, got ${code}`);
      }
    }
    return errors;
  },
};
