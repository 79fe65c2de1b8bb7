import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/bytes';
import { isE2eeError } from '../../src/errors';
import {
  commitAdd,
  commitLeaveRemoval,
  commitPolicy,
  commitRemove,
  commitRotate,
  createGroup,
  requestLeave,
  type CommitResult,
} from '../../src/log/commit';
import { decodeGroupMemberState, encodeGroupMemberState } from '../../src/log/member-state';
import { hasPendingRemoval, isMember } from '../../src/log/public-fold';
import { defaultPolicy, p } from './helpers';
import { Device, lookupOf, TestRelay } from './harness';

const POOL = 6;

describe('private fold: properties over random joins, kicks, leaves and rotations', () => {
  it('every current member ends each step on the same epoch; a removed member holds no secret; state round-trips', () => {
    const step = fc.record({ op: fc.nat({ max: 5 }), who: fc.nat(), target: fc.nat() });
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(step, { minLength: 4, maxLength: 10 }), (steps) => {
        const relay = new TestRelay(p);
        const devices = Array.from({ length: POOL }, (_, i) => new Device(p, `d${i}`));
        const owner = devices[0]!;
        const created = createGroup(p, owner.identity, { policy: defaultPolicy({ joinPolicy: 'open' }) });
        relay.append(created);
        owner.adopt(created, relay);

        for (const s of steps) {
          const members = devices.filter((d) => d.state && !d.state.removed && isMember(relay.state, d.id));
          const outsiders = devices.filter((d) => !isMember(relay.state, d.id));
          const actors = members.filter((d) => d.state!.epochSecret && !d.state!.public.members.find((m) => bytesToHex(m.memberId) === bytesToHex(d.id))?.leaveRequested);
          const actor = actors[s.who % Math.max(1, actors.length)];
          if (!actor) break;
          let c: CommitResult | null = null;
          try {
            if (hasPendingRemoval(relay.state)) {
              c = commitLeaveRemoval(p, actor.identity, actor.state!, lookupOf(devices));
            } else if (s.op === 0 && outsiders.length) {
              const joiner = outsiders[s.target % outsiders.length]!;
              joiner.state = null;
              c = commitAdd(p, actor.identity, actor.state!, [joiner.bundle(s.target % 2 === 0)]);
            } else if (s.op === 1 && members.length > 1) {
              const target = members[s.target % members.length]!;
              c = commitRemove(p, owner.identity, owner.state!, [target.id], lookupOf(devices));
              if (target === owner) c = null;
            } else if (s.op === 2) {
              c = requestLeave(p, actor.identity, actor.state!);
            } else if (s.op === 3) {
              c = commitPolicy(p, owner.identity, owner.state!, defaultPolicy({ joinPolicy: 'open', groupMuted: s.target % 2 === 1 }));
            } else {
              c = commitRotate(p, actor.identity, actor.state!, lookupOf(devices));
            }
          } catch (e) {
            // The fold refused (e.g. the owner tried to leave, or removed itself): a typed error, nothing changed.
            expect(isE2eeError(e), String(e)).toBe(true);
            continue;
          }
          if (!c) continue;
          const committer = bytesToHex(c.state.self);
          expect(relay.append(c)).toBe(true);
          const author = devices.find((d) => bytesToHex(d.id) === committer)!;
          author.adopt(c, relay);
          const last = relay.log.length - 1;
          for (const d of devices) {
            if (d === author) continue;
            if (d.state && !d.state.removed) d.sync(relay);
            else if (relay.envelopeFor(last, d.id)) d.join(relay, last);
            else if (d.state) d.cursor = relay.log.length;
          }
          accepted++;
          const current = devices.filter((d) => isMember(relay.state, d.id));
          const roots = new Set(current.map((d) => d.senderRootHex()));
          expect(roots.size).toBe(1);
          const root = [...roots][0]!;
          expect(root).not.toBeNull();
          for (const d of devices.filter((x) => x.state && !isMember(relay.state, x.id))) {
            expect(d.state!.removed).toBe(true);
            expect(d.state!.epochSecret).toBeNull();
          }
          for (const d of current) {
            const bytes = encodeGroupMemberState(d.state!);
            expect(decodeGroupMemberState(p, bytes)).toEqual(d.state);
          }
        }
      }),
      { numRuns: 12 },
    );
    // Most steps must be accepted commits, not refusals (at least two per run on average).
    expect(accepted).toBeGreaterThan(24);
  });
});
