// A minimal in-memory relay and device set for scenario tests: the relay runs the real
// public fold with compare-and-swap on the head; devices run the real private fold.
import { equalBytes, bytesToHex } from '../../src/bytes';
import { isE2eeError } from '../../src/errors';
import { generateIdentity, type DeviceIdentity } from '../../src/identity/identity';
import { createPrekeyStore, prekeyBundleOf, type PrekeyStore } from '../../src/identity/prekeys';
import type { CommitResult, PrekeyLookup } from '../../src/log/commit';
import { epochView, type GroupMemberState } from '../../src/log/member-state';
import { joinFromWelcome, processEntry, type ProcessResult } from '../../src/log/private-fold';
import { BROKEN_CHAIN, foldPublicEntry, foldPublicGenesis, type PublicGroupState } from '../../src/log/public-fold';
import type { Primitives } from '../../src/primitives/types';
import { decodeEnvelopeRecipient } from '../../src/wire/envelope';
import { verifyPrekeyBundle, type PrekeyBundle } from '../../src/wire/identity';

export interface LoggedEntry {
  entry: Uint8Array;
  envelopes: Uint8Array[];
}

export class TestRelay {
  state!: PublicGroupState;
  readonly log: LoggedEntry[] = [];
  constructor(private readonly p: Primitives) {}

  /** Appends with compare-and-swap on the head; false when another commit won. Other rejections throw. */
  append(c: { entry: Uint8Array; envelopes: Uint8Array[] }): boolean {
    if (this.log.length === 0) {
      this.state = foldPublicGenesis(this.p, c.entry);
    } else {
      try {
        this.state = foldPublicEntry(this.p, this.state, c.entry, c.envelopes);
      } catch (e) {
        if (isE2eeError(e, BROKEN_CHAIN)) return false;
        throw e;
      }
    }
    this.log.push({ entry: c.entry, envelopes: c.envelopes });
    return true;
  }

  envelopeFor(index: number, memberId: Uint8Array): Uint8Array | null {
    return this.log[index]!.envelopes.find((e) => equalBytes(decodeEnvelopeRecipient(e), memberId)) ?? null;
  }
}

export class Device {
  readonly identity: DeviceIdentity;
  prekeys: PrekeyStore;
  state: GroupMemberState | null = null;
  /** Index of the next log entry to process. */
  cursor = 0;
  readonly alarms: ProcessResult['alarm'][] = [];

  constructor(
    private readonly p: Primitives,
    readonly name: string,
    oneTimePrekeys = 3,
  ) {
    this.identity = generateIdentity(p);
    this.prekeys = createPrekeyStore(p, 0, oneTimePrekeys);
  }

  get id(): Uint8Array {
    return this.identity.memberId;
  }

  /** A verified bundle, with a one-time prekey when `oneTime`. */
  bundle(oneTime = true): PrekeyBundle {
    const otk = oneTime ? this.prekeys.oneTime[0]?.id ?? null : null;
    return verifyPrekeyBundle(this.p, prekeyBundleOf(this.p, this.identity.seed, this.prekeys, otk));
  }

  /** Adopts its own accepted commit. */
  adopt(c: CommitResult, relay: TestRelay): void {
    this.state = c.state;
    this.cursor = relay.log.length;
  }

  /** Joins from the add entry at `index`. */
  join(relay: TestRelay, index: number): void {
    const welcome = relay.envelopeFor(index, this.id);
    if (!welcome) throw new Error(`${this.name} has no welcome at ${index}`);
    const r = joinFromWelcome(this.p, this.id, this.prekeys, relay.log[index]!.entry, welcome);
    this.state = r.state;
    this.prekeys = r.prekeys;
    this.cursor = index + 1;
  }

  /** Processes every entry it has not seen. */
  sync(relay: TestRelay): ProcessResult[] {
    const out: ProcessResult[] = [];
    while (this.cursor < relay.log.length && this.state && !this.state.removed) {
      const r = processEntry(this.p, this.state, this.prekeys, relay.log[this.cursor]!.entry, relay.envelopeFor(this.cursor, this.id));
      this.state = r.state;
      this.prekeys = r.prekeys;
      if (r.alarm) this.alarms.push(r.alarm);
      out.push(r);
      this.cursor++;
    }
    return out;
  }

  senderRootHex(): string | null {
    const v = this.state && epochView(this.p, this.state);
    return v ? bytesToHex(v.senderRoot) : null;
  }
}

/** Signed-prekey lookup over a set of devices (what a client builds from fetched bundles). */
export function lookupOf(devices: readonly Device[]): PrekeyLookup {
  return (memberId) => {
    const d = devices.find((x) => equalBytes(x.id, memberId));
    if (!d) return undefined;
    return { prekeyKind: 'signed', prekeyId: d.prekeys.signed.id, prekey: d.prekeys.signed.publicKey };
  };
}
