// A test-side model of the epoch key schedule of DESIGN.md section 4, used by the
// scenario tests of the message layer until they run on part A's commits:
//   - every change starts an epoch and appends an entry; the transcript hash is
//     SHA-256(previous transcript || entry bytes);
//   - remove (kick, committed leave) and rotate draw a FRESH random secret that only the
//     remaining members receive;
//   - add and other entries derive next = deriveSecret(old, "epoch next", entry hash);
//     a joiner receives only the new secret;
//   - senderRoot = deriveSecret(epochSecret, "epoch sender root", "").
// The message layer under test only ever sees EpochInput; this model is the stand-in for
// the key schedule, not for anything under test. Secrets a member does not receive are
// never handed to it: the kicked member's view is exactly what it would have.
import { concatBytes } from '../../src/bytes';
import { deriveSecret } from '../../src/kdf';
import type { EpochInput } from '../../src/message/session';
import type { Primitives } from '../../src/primitives/types';
import type { TestIdentity } from '../message/helpers';

export const EPOCH_NEXT_LABEL = 'epoch next';
export const SENDER_ROOT_LABEL = 'epoch sender root';

export interface LogEntry {
  readonly kind: 'create' | 'add' | 'remove' | 'rotate' | 'info';
  readonly bytes: Uint8Array;
  readonly hash: Uint8Array;
  /** The epoch this entry starts. */
  readonly epoch: number;
  /** Was the new secret fresh (remove/rotate) or derived (others)? */
  readonly fresh: boolean;
}

/** What the model hands one member for one epoch: the secret and part A's EpochInput. */
export interface MemberEpoch {
  readonly epochSecret: Uint8Array;
  readonly input: EpochInput;
}

export class ModelGroup {
  readonly log: LogEntry[] = [];
  epoch = 0;
  members: TestIdentity[];
  private secret: Uint8Array;
  transcript: Uint8Array;

  constructor(
    private readonly p: Primitives,
    readonly groupId: Uint8Array,
    founders: TestIdentity[],
  ) {
    this.members = [...founders];
    this.secret = p.randomBytes(32);
    this.transcript = new Uint8Array(32);
    this.append('create', false);
  }

  private append(kind: LogEntry['kind'], fresh: boolean): LogEntry {
    const body = concatBytes(Uint8Array.of(this.log.length), this.groupId, this.p.randomBytes(16), ...this.members.map((m) => m.memberId));
    const hash = this.p.sha256(body);
    const entry: LogEntry = { kind, bytes: body, hash, epoch: this.epoch, fresh };
    this.log.push(entry);
    this.transcript = this.p.sha256(concatBytes(this.transcript, body));
    return entry;
  }

  private derive(entryHash: Uint8Array): Uint8Array {
    return deriveSecret(this.p, this.secret, EPOCH_NEXT_LABEL, entryHash);
  }

  /** The current epoch as one member receives it (only call for current members). */
  view(): MemberEpoch {
    return {
      epochSecret: this.secret.slice(),
      input: {
        groupId: this.groupId,
        epoch: this.epoch,
        transcriptHash: this.transcript,
        senderRoot: senderRootOf(this.p, this.secret),
        members: this.members.map((m) => ({ memberId: m.memberId, identityKey: m.identityKey })),
      },
    };
  }

  add(joiner: TestIdentity): LogEntry {
    this.members = [...this.members, joiner];
    this.epoch++;
    const entry = this.append('add', false);
    this.secret = this.derive(entry.hash);
    return entry;
  }

  /** Remove (kick or committed leave): a fresh secret for the remaining members only. */
  remove(who: TestIdentity): LogEntry {
    this.members = this.members.filter((m) => m !== who);
    this.epoch++;
    const entry = this.append('remove', true);
    this.secret = this.p.randomBytes(32);
    return entry;
  }

  rotate(): LogEntry {
    this.epoch++;
    const entry = this.append('rotate', true);
    this.secret = this.p.randomBytes(32);
    return entry;
  }

  /** A non-membership change (e.g. group info): derived secret. */
  info(): LogEntry {
    this.epoch++;
    const entry = this.append('info', false);
    this.secret = this.derive(entry.hash);
    return entry;
  }
}

export function senderRootOf(p: Primitives, epochSecret: Uint8Array): Uint8Array {
  return deriveSecret(p, epochSecret, SENDER_ROOT_LABEL, new Uint8Array(0));
}
