// Test helpers: build signed entries directly from the wire types, so the public fold is
// tested independently of the commit builders. Envelopes here are well-formed headers
// with random sealed bytes: the public fold never opens them.
import { createPrimitives } from '../../src/primitives/index';
import { nobleBackend } from '../../src/primitives/noble';
import { nodeRandom } from '../../src/primitives/random';
import type { Primitives } from '../../src/primitives/types';
import { signWithLabel } from '../../src/kdf';
import { SIG } from '../../src/labels';
import { memberIdOf } from '../../src/identity/member-id';
import { compareIds, encodeLogEntryContent, type EntryBody, type GroupPolicy, type LogEntryContent } from '../../src/wire/log-entry';
import { encodeEnvelope, envelopeHashOf } from '../../src/wire/envelope';
import { envelopeKindFor, requiredRecipients, type PublicGroupState } from '../../src/log/public-fold';

export const p: Primitives = createPrimitives(nobleBackend, nodeRandom);

export interface TestIdentity {
  seed: Uint8Array;
  publicKey: Uint8Array;
  memberId: Uint8Array;
}

export function identity(prim: Primitives = p): TestIdentity {
  const seed = prim.randomBytes(32);
  const publicKey = prim.ed25519PublicKey(seed);
  return { seed, publicKey, memberId: memberIdOf(prim, publicKey) };
}

export function defaultPolicy(overrides: Partial<GroupPolicy> = {}): GroupPolicy {
  return {
    joinPolicy: 'invite-only',
    mayInvite: 'admins',
    mayEditInfo: 'admins',
    maySendMedia: 'members',
    groupMuted: false,
    mutedMembers: [],
    piiPolicy: new Uint8Array(0),
    ...overrides,
  };
}

export function sortKeysById(keys: Uint8Array[]): Uint8Array[] {
  return keys
    .map((k) => ({ k, id: memberIdOf(p, k) }))
    .sort((a, b) => compareIds(a.id, b.id))
    .map((x) => x.k);
}

/** Signs content || mac with `label` (the log label unless a test overrides it). */
export function sealEntry(seed: Uint8Array, content: LogEntryContent, opts: { label?: string; mac?: Uint8Array } = {}): Uint8Array {
  const c = encodeLogEntryContent(content);
  const mac = opts.mac ?? p.randomBytes(32);
  const signed = new Uint8Array(c.length + 32);
  signed.set(c);
  signed.set(mac, c.length);
  const sig = signWithLabel(p, seed, opts.label ?? SIG.LOG_ENTRY, signed);
  const out = new Uint8Array(signed.length + 64);
  out.set(signed);
  out.set(sig, signed.length);
  return out;
}

export function fakeEnvelope(groupId: Uint8Array, epoch: number, recipient: Uint8Array, kind: 'welcome' | 'epoch-secret'): Uint8Array {
  return encodeEnvelope({
    version: 1,
    kind,
    groupId,
    epoch,
    recipient,
    prekeyKind: kind === 'welcome' ? 'one-time' : 'signed',
    prekeyId: 7,
    ephemeral: p.randomBytes(32),
    sealed: p.randomBytes(48),
  });
}

export function createEntry(creator: TestIdentity, policy: GroupPolicy = defaultPolicy(), groupId = p.randomBytes(16)): Uint8Array {
  return sealEntry(creator.seed, {
    version: 1,
    groupId,
    epoch: 0,
    prevHash: new Uint8Array(32),
    actor: creator.memberId,
    body: { kind: 'create', identityKey: creator.publicKey, policy },
    recipients: [],
  });
}

export interface Built {
  bytes: Uint8Array;
  envelopes: Uint8Array[];
  content: LogEntryContent;
}

/**
 * An entry by `actor` on top of `state` with the recipients and envelopes the rules
 * require; `tweak` may alter the content before signing (to build bad entries).
 */
export function entryOn(
  state: PublicGroupState,
  actor: TestIdentity,
  body: EntryBody,
  opts: { tweak?: (c: LogEntryContent) => LogEntryContent; label?: string; signer?: Uint8Array } = {},
): Built {
  const epoch = state.epoch + 1;
  let after = state.members.map((m) => m.memberId);
  let joiners: Uint8Array[] = [];
  if (body.kind === 'add') joiners = body.identityKeys.map((k) => memberIdOf(p, k)).sort(compareIds);
  if (body.kind === 'remove') after = after.filter((id) => !body.memberIds.some((r) => compareIds(r, id) === 0));
  const fakeMembers = after.map((memberId) => ({ memberId, identityKey: memberId, role: 'member' as const, leaveRequested: false }));
  const ids = requiredRecipients(body.kind, actor.memberId, fakeMembers, joiners);
  const kind = envelopeKindFor(body.kind);
  const envelopes = kind ? ids.map((id) => fakeEnvelope(state.groupId, epoch, id, kind)) : [];
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
  const bytes = sealEntry(opts.signer ?? actor.seed, content, opts.label ? { label: opts.label } : {});
  return { bytes, envelopes, content };
}
