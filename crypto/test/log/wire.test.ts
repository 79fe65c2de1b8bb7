import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, hexToBytes } from '../../src/bytes';
import { isE2eeError, MALFORMED } from '../../src/errors';
import {
  decodeEnvelope,
  decodeEnvelopeRecipient,
  encodeEnvelope,
  ENVELOPE_HEADER_BYTES,
  type Envelope,
} from '../../src/wire/envelope';
import {
  compareIds,
  decodeLogEntry,
  encodeLogEntry,
  type EntryBody,
  type GroupPolicy,
  type LogEntry,
} from '../../src/wire/log-entry';
import { decodePublicGroupState, encodePublicGroupState } from '../../src/wire/public-state';
import { createEntry, defaultPolicy, entryOn, fakeEnvelope, identity, p, sortKeysById } from './helpers';
import { foldPublicEntry, foldPublicGenesis } from '../../src/log/public-fold';

function expectMalformed(fn: () => unknown): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(isE2eeError(thrown, MALFORMED), String(thrown)).toBe(true);
}

function sampleEntry(): Uint8Array {
  const owner = identity();
  const s = foldPublicGenesis(p, createEntry(owner));
  const a = identity();
  const b = identity();
  return entryOn(s, owner, { kind: 'add', identityKeys: sortKeysById([a.publicKey, b.publicKey]) }).bytes;
}

describe('log entry decoder: junk inputs', () => {
  const valid = sampleEntry();
  const junk: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['one byte', Uint8Array.of(1)],
    ['version 0', concatBytes(Uint8Array.of(0), valid.subarray(1))],
    ['version 2', concatBytes(Uint8Array.of(2), valid.subarray(1))],
    ['kind 0', concatBytes(Uint8Array.of(1, 0), valid.subarray(2))],
    ['kind 11', concatBytes(Uint8Array.of(1, 11), valid.subarray(2))],
    ['kind 255', concatBytes(Uint8Array.of(1, 255), valid.subarray(2))],
    ['trailing byte', concatBytes(valid, Uint8Array.of(0))],
    ['missing last byte', valid.subarray(0, valid.length - 1)],
    ['header only', valid.subarray(0, 86)],
    ['all 0xff', new Uint8Array(400).fill(0xff)],
    ['all zero', new Uint8Array(400)],
    ['add body re-labelled as kind 6 (policy)', (() => { const b = new Uint8Array(valid); b[1] = 6; return b; })()],
    ['add with zero joiners', (() => { const b = new Uint8Array(valid); b[86] = 0; b[87] = 0; return b; })()],
    ['add with 65535 joiners', (() => { const b = new Uint8Array(valid); b[86] = 0xff; b[87] = 0xff; return b; })()],
    ['oversized', new Uint8Array(200 * 1024).fill(1)],
  ];
  for (const [name, bytes] of junk) {
    it(`rejects ${name} with E2E_ERR_MALFORMED`, () => expectMalformed(() => decodeLogEntry(bytes)));
  }

  it('rejects every truncation of a valid entry', () => {
    for (let n = 0; n < valid.length; n++) expectMalformed(() => decodeLogEntry(valid.subarray(0, n)));
  });

  it('rejects recipients out of order and duplicated', () => {
    const d = decodeLogEntry(valid);
    const r0 = d.recipients[0]!;
    const r1 = d.recipients[1]!;
    const swapped = new Uint8Array(valid);
    const listStart = valid.length - 96 - 2 * 64;
    swapped.set(r1.memberId, listStart);
    swapped.set(r0.memberId, listStart + 64);
    expectMalformed(() => decodeLogEntry(swapped));
    const dup = new Uint8Array(valid);
    dup.set(r0.memberId, listStart + 64);
    expectMalformed(() => decodeLogEntry(dup));
  });

  it('a non-Uint8Array is a caller bug (TypeError), not a protocol error', () => {
    expect(() => decodeLogEntry('00' as unknown as Uint8Array)).toThrow(TypeError);
  });
});

// --- generators of valid structures -------------------------------------------------

const id32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const id16 = fc.uint8Array({ minLength: 16, maxLength: 16 });
const epochArb = fc.nat({ max: 0xffffffff });
const ascendingIds = (max: number) =>
  fc.uniqueArray(id32, { maxLength: max, selector: (x) => Buffer.from(x).toString('hex') }).map((xs) => xs.sort(compareIds));

const policyArb: fc.Arbitrary<GroupPolicy> = fc.record({
  joinPolicy: fc.constantFrom('open' as const, 'approval' as const, 'invite-only' as const),
  mayInvite: fc.constantFrom('owner' as const, 'admins' as const, 'members' as const),
  mayEditInfo: fc.constantFrom('owner' as const, 'admins' as const, 'members' as const),
  maySendMedia: fc.constantFrom('owner' as const, 'admins' as const, 'members' as const),
  groupMuted: fc.boolean(),
  mutedMembers: ascendingIds(5),
  piiPolicy: fc.uint8Array({ maxLength: 40 }),
});

const bodyArb: fc.Arbitrary<EntryBody> = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), identityKey: id32, policy: policyArb }),
  fc.record({ kind: fc.constant('add' as const), identityKeys: fc.array(id32, { minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('remove' as const), memberIds: ascendingIds(4).filter((x) => x.length > 0) }),
  fc.constant({ kind: 'leave-request' as const }),
  fc.record({ kind: fc.constant('role' as const), memberId: id32, role: fc.constantFrom('owner' as const, 'admin' as const, 'member' as const) }),
  fc.record({ kind: fc.constant('policy' as const), policy: policyArb }),
  fc.record({ kind: fc.constant('group-info' as const), sealedInfo: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.constant({ kind: 'rotate' as const }),
  fc.record({ kind: fc.constant('transfer-ownership' as const), newOwner: id32 }),
  fc.constant({ kind: 'dissolve' as const }),
);

const entryArb: fc.Arbitrary<LogEntry> = fc.record({
  version: fc.constant(1 as const),
  groupId: id16,
  epoch: epochArb,
  prevHash: id32,
  actor: id32,
  body: bodyArb,
  recipients: ascendingIds(4).chain((ids) =>
    fc.tuple(...ids.map(() => id32)).map((hashes) => ids.map((memberId, i) => ({ memberId, envelopeHash: hashes[i]! }))),
  ),
  confirmationMac: id32,
  signature: fc.uint8Array({ minLength: 64, maxLength: 64 }),
});

describe('log entry codec: properties', () => {
  it('every valid entry round-trips to identical bytes', () => {
    fc.assert(
      fc.property(entryArb, (entry) => {
        const bytes = encodeLogEntry(entry);
        const back = decodeLogEntry(bytes);
        expect(back).toEqual(entry);
        expect(encodeLogEntry(back)).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });

  it('random bytes either fail with E2E_ERR_MALFORMED or decode to the one canonical encoding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        try {
          const entry = decodeLogEntry(bytes);
          expect(encodeLogEntry(entry)).toEqual(bytes);
        } catch (e) {
          expect(isE2eeError(e, MALFORMED)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a single changed byte of an encoded entry either fails to decode or decodes to a different entry', () => {
    fc.assert(
      fc.property(entryArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (entry, pos, delta) => {
        const bytes = encodeLogEntry(entry);
        const mutated = new Uint8Array(bytes);
        const i = pos % bytes.length;
        mutated[i] = (mutated[i]! + delta) & 0xff;
        try {
          expect(decodeLogEntry(mutated)).not.toEqual(entry);
        } catch (e) {
          expect(isE2eeError(e, MALFORMED)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('envelope codec', () => {
  const envArb: fc.Arbitrary<Envelope> = fc.record({
    version: fc.constant(1 as const),
    kind: fc.constantFrom('epoch-secret' as const, 'welcome' as const),
    groupId: id16,
    epoch: epochArb,
    recipient: id32,
    prekeyKind: fc.constantFrom('signed' as const, 'one-time' as const),
    prekeyId: fc.nat({ max: 0xffffffff }),
    ephemeral: id32,
    sealed: fc.uint8Array({ minLength: 16, maxLength: 200 }),
  });

  it('round-trips and exposes the recipient for routing', () => {
    fc.assert(
      fc.property(envArb, (env) => {
        const bytes = encodeEnvelope(env);
        expect(decodeEnvelope(bytes)).toEqual(env);
        expect(decodeEnvelopeRecipient(bytes)).toEqual(env.recipient);
        expect(bytes.length).toBe(ENVELOPE_HEADER_BYTES + 4 + env.sealed.length);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects junk with E2E_ERR_MALFORMED', () => {
    const valid = fakeEnvelope(new Uint8Array(16), 3, new Uint8Array(32).fill(7), 'welcome');
    const junk = [
      new Uint8Array(0),
      valid.subarray(0, ENVELOPE_HEADER_BYTES),
      concatBytes(valid, Uint8Array.of(0)),
      concatBytes(Uint8Array.of(2), valid.subarray(1)),
      concatBytes(Uint8Array.of(1, 3), valid.subarray(2)),
      hexToBytes('01'.repeat(91) + '00000005' + '00'.repeat(5)),
    ];
    for (const j of junk) expectMalformed(() => decodeEnvelope(j));
    for (let n = 0; n < valid.length; n++) expectMalformed(() => decodeEnvelopeRecipient(valid.subarray(0, n)));
  });

  it('random bytes never throw anything but E2E_ERR_MALFORMED', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          expect(encodeEnvelope(decodeEnvelope(bytes))).toEqual(bytes);
        } catch (e) {
          expect(isE2eeError(e, MALFORMED)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('public group state codec', () => {
  function sampleState() {
    const owner = identity();
    let s = foldPublicGenesis(p, createEntry(owner, defaultPolicy({ piiPolicy: Uint8Array.of(9) })));
    const a = identity();
    s = foldPublicEntry(p, s, ...(() => {
      const e = entryOn(s, owner, { kind: 'add', identityKeys: [a.publicKey] });
      return [e.bytes, e.envelopes] as const;
    })());
    return s;
  }

  it('rejects junk, truncations and broken invariants with E2E_ERR_MALFORMED', () => {
    const valid = encodePublicGroupState(sampleState());
    for (let n = 0; n < valid.length; n++) expectMalformed(() => decodePublicGroupState(p, valid.subarray(0, n)));
    expectMalformed(() => decodePublicGroupState(p, concatBytes(valid, Uint8Array.of(0))));
    expectMalformed(() => decodePublicGroupState(p, concatBytes(Uint8Array.of(9), valid.subarray(1))));
    // Flip a byte of the last member's identity key: its member ID no longer matches.
    const wrongKey = new Uint8Array(valid);
    wrongKey[valid.length - 3]! ^= 1;
    expectMalformed(() => decodePublicGroupState(p, wrongKey));
    // Unknown flag bits on the last member.
    const flags = new Uint8Array(valid);
    flags[valid.length - 1] = 2;
    expectMalformed(() => decodePublicGroupState(p, flags));
  });

  it('random bytes never throw anything but E2E_ERR_MALFORMED', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        try {
          decodePublicGroupState(p, bytes);
        } catch (e) {
          expect(isE2eeError(e, MALFORMED)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
