import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isE2eeError } from '../../../crypto/src/errors';
import { generateIdentity } from '../../../crypto/src/identity/identity';
import { createGroup } from '../../../crypto/src/log/commit';
import { epochView } from '../../../crypto/src/log/member-state';
import { startEpoch } from '../../../crypto/src/message/session';
import { nodeRandom } from '../../../crypto/src/primitives/random';
import { loadBackends, primitivesFor } from '../../../crypto/src/primitives/select';
import {
  decodeLinks,
  decodeMemberRecord,
  decodePendingCommit,
  decodeReceiverRecord,
  decodeSenderRecord,
  encodeLinks,
  encodeMemberRecord,
  encodePendingCommit,
  encodeReceiverRecord,
  encodeSenderRecord,
} from './group-records';

await loadBackends();
const p = primitivesFor('node', nodeRandom);

const policy = { joinPolicy: 'invite-only', mayInvite: 'admins', mayEditInfo: 'admins', maySendMedia: 'members', groupMuted: false, mutedMembers: [], piiPolicy: new Uint8Array(0) } as const;
const id = generateIdentity(p);
const created = createGroup(p, id, { policy });
const view = epochView(p, created.state)!;
const states = startEpoch(p, view, id.memberId, null, { now: 0 });

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return isE2eeError(e) ? e.code : `${(e as Error).name}`;
  }
}

const records: [string, Uint8Array, (b: Uint8Array) => unknown][] = [
  ['member', encodeMemberRecord({ status: 'active', logLength: 3, state: created.state }), (b) => decodeMemberRecord(p, b)],
  ['recv', encodeReceiverRecord({ messageSeq: 9, anchored: true, state: states.receiverState }), decodeReceiverRecord],
  ['send', encodeSenderRecord(states.senderState), decodeSenderRecord],
  ['pending', encodePendingCommit({ index: 1, entry: created.entry, envelopes: [Uint8Array.of(1, 2)], state: created.state }), (b) => decodePendingCommit(p, b)],
  ['links', encodeLinks([{ inviteId: new Uint8Array(16).fill(1), linkSecret: new Uint8Array(32).fill(2), expiresAt: 5 }]), decodeLinks],
];

describe('persisted group records', () => {
  it('round-trip', () => {
    const m = decodeMemberRecord(p, records[0]![1]);
    expect(m.status).toBe('active');
    expect(m.logLength).toBe(3);
    expect(encodeMemberRecord(m)).toEqual(records[0]![1]);
    const r = decodeReceiverRecord(records[1]![1]);
    expect([r.messageSeq, r.anchored]).toEqual([9, true]);
    expect(encodeReceiverRecord(r)).toEqual(records[1]![1]);
    expect(encodeSenderRecord(decodeSenderRecord(records[2]![1]))).toEqual(records[2]![1]);
    expect(encodePendingCommit(decodePendingCommit(p, records[3]![1]))).toEqual(records[3]![1]);
    expect(encodeLinks(decodeLinks(records[4]![1]))).toEqual(records[4]![1]);
    expect(decodeSenderRecord(encodeSenderRecord(null))).toBeNull();
    expect(decodeReceiverRecord(encodeReceiverRecord({ messageSeq: 0, anchored: false, state: null })).state).toBeNull();
  });

  it('truncations, trailing bytes, unknown versions and random junk are E2E_ERR_MALFORMED', () => {
    for (const [name, bytes, decode] of records) {
      for (let cut = 0; cut < bytes.length; cut += Math.max(1, bytes.length >> 5)) {
        expect(codeOf(() => decode(bytes.subarray(0, cut))), `${name} cut at ${cut}`).toBe('E2E_ERR_MALFORMED');
      }
      expect(codeOf(() => decode(Uint8Array.of(...bytes, 0))), `${name} trailing`).toBe('E2E_ERR_MALFORMED');
      expect(codeOf(() => decode(Uint8Array.of(2, ...bytes.subarray(1)))), `${name} version`).toBe('E2E_ERR_MALFORMED');
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat({ max: records.length - 1 }), (junk, i) => {
        const c = codeOf(() => records[i]![2](junk));
        return c === 'E2E_ERR_MALFORMED' || c === 'E2E_ERR_UNSUPPORTED_VERSION' || c === 'E2E_ERR_BAD_SIGNATURE' || c === 'ok';
      }),
    );
  });

  it('an unknown status byte is refused', () => {
    const b = records[0]![1].slice();
    b[1] = 9;
    expect(codeOf(() => decodeMemberRecord(p, b))).toBe('E2E_ERR_MALFORMED');
  });
});
