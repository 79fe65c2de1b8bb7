import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isE2eeError } from '../../src/errors';
import {
  decodePublicGroupState,
  encodePublicGroupState,
  foldPublicEntry,
  foldPublicGenesis,
  isMember,
  type PublicGroupState,
} from '../../src/log/public-fold';
import { compareIds, type EntryBody } from '../../src/wire/log-entry';
import { createEntry, defaultPolicy, entryOn, identity, p, sortKeysById, type TestIdentity } from './helpers';

const POOL_SIZE = 8;
const pool: TestIdentity[] = Array.from({ length: POOL_SIZE }, () => identity());

type Step = { actor: number; kind: number; target: number; role: number; mutateAt: number };

function byId(id: Uint8Array): TestIdentity {
  return pool.find((x) => compareIds(x.memberId, id) === 0)!;
}

/** Mostly picks members as actors and targets (so most steps are accepted), sometimes anyone. */
function pick(s: PublicGroupState, n: number, wantMember: boolean): TestIdentity {
  if (n % 7 === 0) return pool[(n >> 3) % POOL_SIZE]!;
  const candidates = pool.filter((x) => isMember(s, x.memberId) === wantMember);
  return candidates.length ? candidates[n % candidates.length]! : pool[n % POOL_SIZE]!;
}

function bodyFor(step: Step, s: PublicGroupState): EntryBody {
  const kind = step.kind % 9;
  const target = pick(s, step.target, kind !== 0);
  switch (kind) {
    case 0:
      return { kind: 'add', identityKeys: sortKeysById([target.publicKey]) };
    case 1:
      return { kind: 'remove', memberIds: [target.memberId] };
    case 2:
      return { kind: 'leave-request' };
    case 3:
      return { kind: 'role', memberId: target.memberId, role: (['admin', 'member'] as const)[step.role % 2]! };
    case 4:
      return {
        kind: 'policy',
        policy: defaultPolicy({
          joinPolicy: (['open', 'approval', 'invite-only'] as const)[step.role % 3]!,
          mutedMembers: isMember(s, target.memberId) ? [target.memberId] : [],
        }),
      };
    case 5:
      return { kind: 'group-info', sealedInfo: Uint8Array.of(step.role & 0xff, 1, 2) };
    case 6:
      return { kind: 'rotate' };
    case 7:
      return { kind: 'transfer-ownership', newOwner: target.memberId };
    default:
      return step.role % 5 === 0 ? { kind: 'dissolve' } : { kind: 'rotate' };
  }
}

function checkInvariants(s: PublicGroupState): void {
  const owners = s.members.filter((m) => m.role === 'owner');
  expect(owners.length).toBe(1);
  expect(owners[0]!.leaveRequested).toBe(false);
  for (let i = 1; i < s.members.length; i++) expect(compareIds(s.members[i - 1]!.memberId, s.members[i]!.memberId)).toBeLessThan(0);
  for (const id of s.policy.mutedMembers) expect(isMember(s, id)).toBe(true);
  expect(decodePublicGroupState(p, encodePublicGroupState(s))).toEqual(s);
}

describe('public fold: properties over random operation sequences', () => {
  it('accepts or rejects with a typed error, keeps its invariants, never mutates its input, and rejects any changed byte', () => {
    const stepArb = fc.record({
      actor: fc.nat(),
      kind: fc.nat(),
      target: fc.nat(),
      role: fc.nat(),
      mutateAt: fc.nat(),
    });
    let totalAccepted = 0;
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 25 }), (steps) => {
        let s = foldPublicGenesis(p, createEntry(pool[0]!, defaultPolicy({ joinPolicy: 'open' })));
        let accepted = 0;
        for (const step of steps) {
          const owner = s.members.find((m) => m.role === 'owner')!;
          const actor = step.actor % 3 === 0 ? byId(owner.memberId) : pick(s, step.actor, true);
          const before = encodePublicGroupState(s);
          let built;
          try {
            built = entryOn(s, actor, bodyFor(step, s));
          } catch (e) {
            // The encoder refuses structures it cannot encode (caller bugs): not a fold input.
            expect(e).toBeInstanceOf(RangeError);
            continue;
          }
          let next: PublicGroupState | undefined;
          try {
            next = foldPublicEntry(p, s, built.bytes, built.envelopes);
          } catch (e) {
            expect(isE2eeError(e), String(e)).toBe(true);
          }
          expect(encodePublicGroupState(s)).toEqual(before);
          if (!next) continue;
          // Any changed byte of an accepted entry is rejected.
          const mutated = new Uint8Array(built.bytes);
          const i = step.mutateAt % mutated.length;
          mutated[i]! ^= 1 << step.role % 8;
          let mutatedAccepted = true;
          try {
            foldPublicEntry(p, s, mutated, built.envelopes);
          } catch (e) {
            expect(isE2eeError(e)).toBe(true);
            mutatedAccepted = false;
          }
          expect(mutatedAccepted).toBe(false);
          checkInvariants(next);
          expect(next.epoch).toBe(s.epoch + 1);
          s = next;
          accepted++;
          if (s.dissolved) break;
        }
        totalAccepted += accepted;
      }),
      { numRuns: 60 },
    );
    // The generator must exercise the accepting paths, not only rejections. Over 40 fixed
    // seeds the total ranged 122-184 (one CI run saw 118, and 120 was the bound then): half
    // of the lowest seen still means accepted steps in most runs, and a generator that
    // only produced rejections would give about 0.
    expect(totalAccepted).toBeGreaterThan(60);
  });
});
