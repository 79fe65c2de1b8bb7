// Decides who gets a wake-up when a group is active: served members other than the actor,
// with no live socket on this relay, who opted in, at most once per (member, group) per
// interval. Runs after the commit, off the send path; memory is bounded.
import type { Notifier, NotificationKind, NotifySubscriptionLookup } from './types';
import { MAX_LOOKUPS_IN_FLIGHT, MAX_TRACKED_PAIRS } from './types';

export interface GroupActivity {
  groupId: Uint8Array;
  /** Member IDs (lowercase hex) served in the group after the change. */
  members: Iterable<string>;
  /** The member who sent or committed (never woken for its own activity). */
  actorHex?: string;
  kind: NotificationKind;
}

export interface NotifyDispatcherOptions {
  notifier: Notifier;
  store: NotifySubscriptionLookup;
  /** At most one wake-up per (member, group) per this many ms. */
  intervalMs: number;
  now: () => number;
  /** Is this member connected to this relay right now? */
  isOnline: (memberHex: string) => boolean;
  maxTracked?: number;
}

export interface NotifyStats {
  sent: number;
  failed: number;
  /** Wake-ups not sent because a bound was reached (tracked pairs, lookups in flight). */
  dropped: number;
}

export class NotifyDispatcher {
  readonly stats: NotifyStats = { sent: 0, failed: 0, dropped: 0 };
  private readonly last = new Map<string, number>();
  private readonly maxTracked: number;
  private inFlight = 0;
  private idle: Promise<void> = Promise.resolve();

  constructor(private readonly opts: NotifyDispatcherOptions) {
    if (!(opts.intervalMs > 0)) throw new RangeError('"intervalMs" must be positive');
    this.maxTracked = opts.maxTracked ?? MAX_TRACKED_PAIRS;
  }

  /** Called after a message or log entry was committed for a group. Never throws. */
  activity(a: GroupActivity): void {
    const now = this.opts.now();
    const groupHex = hex(a.groupId);
    const candidates: string[] = [];
    for (const m of a.members) {
      if (m === a.actorHex || this.opts.isOnline(m)) continue;
      const key = `${m}:${groupHex}`;
      const at = this.last.get(key);
      if (at !== undefined && now - at < this.opts.intervalMs) continue;
      if (!this.track(key, now)) {
        this.stats.dropped++;
        continue;
      }
      candidates.push(m);
    }
    if (candidates.length === 0) return;
    if (this.inFlight >= MAX_LOOKUPS_IN_FLIGHT) {
      this.stats.dropped += candidates.length;
      return;
    }
    this.inFlight++;
    const run = this.deliver(candidates, a.groupId, a.kind).finally(() => this.inFlight--);
    this.idle = this.idle.then(() => run);
  }

  /** Resolves when every wake-up started so far has been handed to the notifier (tests, shutdown). */
  settled(): Promise<void> {
    return this.idle;
  }

  /** The notifier's name (for metrics). */
  get notifierName(): string {
    return this.opts.notifier.name.replace(/[^a-z0-9_-]/gi, '_');
  }

  /** (member, group) pairs currently remembered. */
  get tracked(): number {
    return this.last.size;
  }

  /** Remembers `key` at `now`, evicting expired pairs (oldest first); false when full of live ones. */
  private track(key: string, now: number): boolean {
    this.last.delete(key); // re-insert at the end: the map stays ordered by time
    while (this.last.size >= this.maxTracked) {
      const oldest = this.last.entries().next();
      if (oldest.done || now - oldest.value[1] < this.opts.intervalMs) return false;
      this.last.delete(oldest.value[0]);
    }
    this.last.set(key, now);
    return true;
  }

  private async deliver(members: string[], groupId: Uint8Array, kind: NotificationKind): Promise<void> {
    let subs;
    try {
      subs = await this.opts.store.notifySubscriptions(members.map(unhex));
    } catch {
      this.stats.failed += members.length;
      return;
    }
    for (const s of subs) {
      try {
        await this.opts.notifier.notify({ memberId: s.memberId, groupId, kind, subscription: s.subscription });
        this.stats.sent++;
      } catch {
        this.stats.failed++;
      }
    }
  }
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

function unhex(h: string): Uint8Array {
  return new Uint8Array(Buffer.from(h, 'hex'));
}
