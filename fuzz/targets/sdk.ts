// Targets for the client SDK: the per-group records it persists (decoded on every start),
// invite links (text from a share card), join requests (bytes any WeChat user can post
// under an invite) and engine control frames (inside group messages).
import { utf8Encode } from '../../crypto/src/bytes';
import { E2eeError } from '../../crypto/src/errors';
import { createPrekeyStore, prekeyBundleOf } from '../../crypto/src/identity/prekeys';
import { deriveSecret } from '../../crypto/src/kdf';
import { decodeGroupMemberState } from '../../crypto/src/log/member-state';
import { decodeReceiverState, decodeSenderState } from '../../crypto/src/message/state';
import type { Primitives } from '../../crypto/src/primitives/types';
import * as records from '../../client/src/sdk/group-records';
import { decodeControl, encodeLinkShare, formatInviteLink, JOIN_REQUEST_KEY_LABEL, openJoinRequest, parseInviteLink, sealJoinRequest, type InviteLink } from '../../client/src/sdk/invite-link';
import { WireWriter } from '../../crypto/src/wire/codec';
import { Prng } from '../prng';
import { fuzzPrimitives, hex, vectorFile } from '../seeds';
import { decodeStage, expectCanonical, failedField, FuzzFailure, type Stage, type Target } from '../target';

const FIRST = ['version', 'kind', 'length'];
const isFirst = (e: E2eeError) => FIRST.includes(failedField(e));

function memberStates(): Uint8Array[] {
  return vectorFile('storage-stability-log.json')
    .tests.filter((t: { type: string }) => t.type === 'GroupMemberState')
    .map((t: { bytes: string }) => hex(t.bytes));
}
function messageStates(kind: 'sender' | 'receiver'): Uint8Array[] {
  return vectorFile('storage-stability-message.json')[kind].map((s: { state: string }) => hex(s.state));
}

function withP<T>(name: string, entry: string, seeds: (p: Primitives) => Uint8Array[], decode: (p: Primitives, b: Uint8Array) => T, encode: (v: T) => Uint8Array): Target {
  let p: Primitives | null = null;
  return {
    name,
    entry,
    firstCheck: 'the record’s version byte',
    async seeds() {
      p = await fuzzPrimitives();
      return seeds(p);
    },
    run(input) {
      if (!p) throw new FuzzFailure('seeds() not called');
      const prims = p;
      return decodeStage(() => decode(prims, input), FIRST, (v) => expectCanonical(input, encode(v), name), isFirst);
    },
  };
}

const LINK: InviteLink = (() => {
  const rng = new Prng('invite link');
  return { inviteId: rng.bytes(16), groupId: rng.bytes(16), linkSecret: rng.bytes(32) };
})();

export function sdkTargets(): Target[] {
  return [
    withP(
      'sdk-member-record',
      'client/src/sdk/group-records.ts decodeMemberRecord',
      (p) => memberStates().map((s, i) => records.encodeMemberRecord({ status: (['active', 'left', 'removed', 'dissolved'] as const)[i % 4]!, logLength: 3 + i, state: decodeGroupMemberState(p, s) })),
      records.decodeMemberRecord,
      records.encodeMemberRecord,
    ),
    withP(
      'sdk-receiver-record',
      'client/src/sdk/group-records.ts decodeReceiverRecord',
      () => [...messageStates('receiver').map((s, i) => records.encodeReceiverRecord({ messageSeq: 40 + i, anchored: i % 2 === 0, state: decodeReceiverState(s) })), records.encodeReceiverRecord({ messageSeq: 0, anchored: false, state: null })],
      (_p, b) => records.decodeReceiverRecord(b),
      records.encodeReceiverRecord,
    ),
    withP(
      'sdk-sender-record',
      'client/src/sdk/group-records.ts decodeSenderRecord',
      () => [...messageStates('sender').map((s) => records.encodeSenderRecord(decodeSenderState(s))), records.encodeSenderRecord(null)],
      (_p, b) => records.decodeSenderRecord(b),
      records.encodeSenderRecord,
    ),
    withP(
      'sdk-pending-commit',
      'client/src/sdk/group-records.ts decodePendingCommit',
      (p) => {
        const lf = vectorFile('log-fold.json');
        const e = lf.chains[0].entries[0];
        return memberStates().map((s, i) => records.encodePendingCommit({ index: 5 + i, entry: hex(e.entry), envelopes: e.envelopes.map(hex), state: decodeGroupMemberState(p, s) }));
      },
      records.decodePendingCommit,
      records.encodePendingCommit,
    ),
    withP(
      'sdk-links',
      'client/src/sdk/group-records.ts decodeLinks',
      () => {
        const rng = new Prng('links');
        return [records.encodeLinks([]), records.encodeLinks([1, 2, 3].map((i) => ({ inviteId: rng.bytes(16), linkSecret: rng.bytes(32), expiresAt: 1_800_000_000_000 + i })))];
      },
      (_p, b) => records.decodeLinks(b),
      records.encodeLinks,
    ),
    withP(
      'engine-control',
      'client/src/sdk/invite-link.ts decodeControl (control frames inside group messages)',
      () => [encodeLinkShare(LINK.inviteId, LINK.linkSecret, 1_800_000_600_000)],
      (_p, b) => decodeControl(b),
      (v) => encodeLinkShare(v.inviteId, v.linkSecret, v.expiresAt),
    ),
    {
      name: 'invite-link',
      entry: 'client/src/sdk/invite-link.ts parseInviteLink (text from a share card)',
      firstCheck: 'the "wxe2ee-join:1:" prefix (after trimming); a rejection with the prefix intact is later',
      seeds: () => [utf8Encode(formatInviteLink(LINK)), utf8Encode(`  ${formatInviteLink(LINK)}\n`)],
      run(input): Stage {
        const text = new TextDecoder().decode(input);
        let link: InviteLink;
        try {
          link = parseInviteLink(text);
        } catch (e) {
          if (e instanceof E2eeError) return text.trim().startsWith('wxe2ee-join:1:') ? 'later' : 'first';
          throw e;
        }
        if (formatInviteLink(link) !== text.trim()) throw new FuzzFailure('accepted link does not format back to its text');
        return 'accepted';
      },
    },
    (() => {
      let p: Primitives | null = null;
      return {
        name: 'join-request',
        entry: 'client/src/sdk/invite-link.ts openJoinRequest (a sealed join request from anyone holding the link)',
        firstCheck: 'the version byte and the nonce (before the AEAD)',
        async seeds() {
          p = await fuzzPrimitives();
          const store = createPrekeyStore(p, 1_800_000_000_000, 0);
          const bundle = prekeyBundleOf(p, new Prng('joiner').bytes(32), store);
          return [sealJoinRequest(p, LINK, { bundle, name: '李子涵妈妈' }), sealJoinRequest(p, LINK, { bundle, name: '' })];
        },
        run(input: Uint8Array): Stage {
          if (!p) throw new FuzzFailure('seeds() not called');
          const prims = p;
          return decodeStage(() => openJoinRequest(prims, LINK, input), ['version', 'nonce']);
        },
      } satisfies Target;
    })(),
    (() => {
      // The payload behind the AEAD: the harness seals each input with the link's key, so
      // mutations reach the payload decoder and the bundle verification.
      let p: Primitives | null = null;
      let key: Uint8Array = new Uint8Array(0);
      const aad = new Uint8Array([1, ...LINK.inviteId, ...LINK.groupId]);
      const nonce = new Uint8Array(24).fill(9);
      return {
        name: 'join-request-payload',
        entry: 'client/src/sdk/invite-link.ts openJoinRequest past the AEAD (payload decoder, bundle verification)',
        firstCheck: 'the payload version byte',
        async seeds() {
          p = await fuzzPrimitives();
          key = deriveSecret(p, LINK.linkSecret, JOIN_REQUEST_KEY_LABEL, new Uint8Array([...LINK.inviteId, ...LINK.groupId]));
          const store = createPrekeyStore(p, 1_800_000_000_000, 0);
          const bundle = prekeyBundleOf(p, new Prng('joiner').bytes(32), store);
          return [
            new WireWriter(256).u8(1).bytes16(bundle, 1024).bytes8(utf8Encode('王老师'), 64).finish(),
            new WireWriter(256).u8(1).bytes16(bundle, 1024).bytes8(new Uint8Array(0), 64).finish(),
          ];
        },
        run(input: Uint8Array): Stage {
          if (!p) throw new FuzzFailure('seeds() not called');
          const prims = p;
          const sealed = prims.xchachaSeal(key, nonce, input, aad);
          const body = new Uint8Array(1 + 24 + sealed.length);
          body[0] = 1;
          body.set(nonce, 1);
          body.set(sealed, 25);
          return decodeStage(() => openJoinRequest(prims, LINK, body), ['version']);
        },
      } satisfies Target;
    })(),
  ];
}
