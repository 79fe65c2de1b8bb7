// Storage stability vectors for the log side: GroupMemberState, PrekeyStore and
// PublicGroupState bytes written by this version (v1). Later versions must still load
// them to the same values. test-vectors/README.md "storage-stability-log.json".
//
// Unlike the other suites, the committed file is the source of truth, not the generator:
// once published, an entry is never regenerated (the generator keeps the v1 entries
// byte for byte by building them from the pinned commit scenario).
import { bytesToHex, hexToBytes } from '../../crypto/src/bytes';
import { isE2eeError } from '../../crypto/src/errors';
import { decodePrekeyStore, encodePrekeyStore } from '../../crypto/src/identity/prekeys';
import { decodeGroupMemberState, encodeGroupMemberState } from '../../crypto/src/log/member-state';
import { createPrimitives } from '../../crypto/src/primitives/index';
import { nobleBackend } from '../../crypto/src/primitives/noble';
import { decodePublicGroupState, encodePublicGroupState } from '../../crypto/src/wire/public-state';
import type { VectorSuite } from '../suite';
import { buildScenario, scenarioPrimitives } from './commit';

interface StoredVector {
  tcId: number;
  comment: string;
  type: 'GroupMemberState' | 'PrekeyStore' | 'PublicGroupState';
  writtenByVersion: 1;
  bytes: string;
  expect: Record<string, string | number | boolean | null>;
  result: 'valid';
}

export const suite: VectorSuite = {
  file: 'storage-stability-log.json',
  generate() {
    const p = scenarioPrimitives(createPrimitives(nobleBackend, () => new Uint8Array(0)));
    const { members } = buildScenario(p);
    const out: StoredVector[] = [];
    const owner = members['owner']!.state!;
    const carol = members['carol']!.state!;
    const alice = members['alice']!;
    out.push({
      tcId: 1, comment: 'owner after the scenario of commit.json (epoch 6, two members)', type: 'GroupMemberState', writtenByVersion: 1,
      bytes: bytesToHex(encodeGroupMemberState(owner)),
      expect: { self: bytesToHex(owner.self), epoch: owner.public.epoch, headHash: bytesToHex(owner.public.headHash), members: owner.public.members.length, epochSecret: bytesToHex(owner.epochSecret!), groupName: owner.groupInfo?.name ?? null, alarm: null, removed: false },
      result: 'valid',
    });
    out.push({
      tcId: 2, comment: 'carol after her removal (removed, no secret)', type: 'GroupMemberState', writtenByVersion: 1,
      bytes: bytesToHex(encodeGroupMemberState(carol)),
      expect: { self: bytesToHex(carol.self), epoch: carol.public.epoch, headHash: bytesToHex(carol.public.headHash), members: carol.public.members.length, epochSecret: null, groupName: carol.groupInfo?.name ?? null, alarm: null, removed: true },
      result: 'valid',
    });
    const alarmed = { ...owner, epochSecret: null, alarm: { code: 'E2E_ERR_COMMIT_UNVERIFIABLE' as const, epoch: owner.public.epoch, reason: 'bad-mac' as const } };
    out.push({
      tcId: 3, comment: 'a member in alarm state (bad MAC at the current epoch)', type: 'GroupMemberState', writtenByVersion: 1,
      bytes: bytesToHex(encodeGroupMemberState(alarmed)),
      expect: { self: bytesToHex(owner.self), epoch: owner.public.epoch, headHash: bytesToHex(owner.public.headHash), members: owner.public.members.length, epochSecret: null, groupName: owner.groupInfo?.name ?? null, alarm: 'bad-mac', removed: false },
      result: 'valid',
    });
    out.push({
      tcId: 4, comment: "alice's prekey store after her welcome consumed her one-time prekey", type: 'PrekeyStore', writtenByVersion: 1,
      bytes: bytesToHex(encodePrekeyStore(alice.prekeys)),
      expect: { signedId: alice.prekeys.signed.id, signedPublic: bytesToHex(alice.prekeys.signed.publicKey), oneTime: alice.prekeys.oneTime.length, nextId: alice.prekeys.nextId, previous: null },
      result: 'valid',
    });
    out.push({
      tcId: 5, comment: 'public state after the scenario (what the relay stores)', type: 'PublicGroupState', writtenByVersion: 1,
      bytes: bytesToHex(encodePublicGroupState(owner.public)),
      expect: { epoch: owner.public.epoch, headHash: bytesToHex(owner.public.headHash), members: owner.public.members.length, dissolved: false },
      result: 'valid',
    });
    return { notes: 'Serialized state from earlier versions; every later version must load it. See test-vectors/README.md "storage-stability-log.json".', tests: out };
  },
  verify(data, p) {
    const errors: string[] = [];
    for (const t of (data as { tests: StoredVector[] }).tests) {
      const bytes = hexToBytes(t.bytes);
      let got: Record<string, string | number | boolean | null>;
      let reencoded: Uint8Array;
      try {
        if (t.type === 'GroupMemberState') {
          const s = decodeGroupMemberState(p, bytes);
          reencoded = encodeGroupMemberState(s);
          got = { self: bytesToHex(s.self), epoch: s.public.epoch, headHash: bytesToHex(s.public.headHash), members: s.public.members.length, epochSecret: s.epochSecret ? bytesToHex(s.epochSecret) : null, groupName: s.groupInfo?.name ?? null, alarm: s.alarm?.reason ?? null, removed: s.removed };
        } else if (t.type === 'PrekeyStore') {
          const s = decodePrekeyStore(p, bytes);
          reencoded = encodePrekeyStore(s);
          got = { signedId: s.signed.id, signedPublic: bytesToHex(s.signed.publicKey), oneTime: s.oneTime.length, nextId: s.nextId, previous: s.previous ? s.previous.id : null };
        } else {
          const s = decodePublicGroupState(p, bytes);
          reencoded = encodePublicGroupState(s);
          got = { epoch: s.epoch, headHash: bytesToHex(s.headHash), members: s.members.length, dissolved: s.dissolved };
        }
      } catch (e) {
        errors.push(`tcId ${t.tcId}: does not load: ${isE2eeError(e) ? e.code : String(e)}`);
        continue;
      }
      for (const [k, v] of Object.entries(t.expect)) if (got[k] !== v) errors.push(`tcId ${t.tcId}: ${k}: expected ${String(v)}, got ${String(got[k])}`);
      if (bytesToHex(reencoded) !== t.bytes) errors.push(`tcId ${t.tcId}: re-encoding differs (not lossless)`);
    }
    return errors;
  },
};
