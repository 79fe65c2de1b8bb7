// Cross-instance fan-out on Redis pub/sub (ioredis). One channel per deployment; every
// instance publishes its committed events there and receives everyone else's.
//
// Order: Redis delivers one publisher's messages in publish order, so events of one instance
// arrive in commit order; events of different instances interleave, and the receiver orders
// them per group by sequence number (a gap means "read the database").
// Loss: pub/sub is fire-and-forget. A subscriber that reconnects resubscribes and then runs
// the resubscribe handlers (catch-up from the database); a publisher that could not publish
// remembers the groups concerned and, once connected again, publishes one head event per
// group so the other instances notice the gap and catch up.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { decodeFanoutEvent, encodeFanoutEvent, ORIGIN_BYTES } from './events';
import type { Fanout, FanoutEvent } from './types';

/** Groups remembered for a head event while the publisher is disconnected, at most. */
const MAX_DIRTY_GROUPS = 100_000;

export interface RedisFanoutOptions {
  /** redis://[user:password@]host:port[/db] */
  url: string;
  /** Pub/sub channel shared by the instances of one deployment. */
  channel: string;
}

export class RedisFanout implements Fanout {
  readonly shared = true;
  readonly origin = new Uint8Array(randomBytes(ORIGIN_BYTES));
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly handlers: ((e: FanoutEvent) => void)[] = [];
  private readonly resubscribeHandlers: (() => void)[] = [];
  /** groupRef -> group ID and highest seq / log length not published. */
  private readonly dirty = new Map<number, { groupId: Uint8Array; lastSeq: number; logLength: number }>();
  private subscribedOnce = false;
  private closed = false;
  /** Events decoded with an error (a foreign publisher on the channel). */
  malformed = 0;

  constructor(private readonly opts: RedisFanoutOptions) {
    if (!/^rediss?:\/\//.test(opts.url)) throw new RangeError('"url" must be a redis:// or rediss:// URL');
    if (opts.channel.length === 0 || opts.channel.length > 128) throw new RangeError('"channel" must be 1..128 characters');
    const common = { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: (n: number) => Math.min(50 * n, 1000) };
    // Publishing while disconnected fails at once (no unbounded offline queue): the database has the data.
    // Connection names (CLIENT LIST) say which deployment a connection serves.
    this.pub = new Redis(opts.url, { ...common, enableOfflineQueue: false, connectionName: `${opts.channel}:pub` });
    this.sub = new Redis(opts.url, { ...common, autoResubscribe: false, connectionName: `${opts.channel}:sub` });
    this.pub.on('error', () => undefined);
    this.sub.on('error', () => undefined);
    this.pub.on('ready', () => this.flushDirty());
    this.sub.on('ready', () => void this.subscribe());
    this.sub.on('messageBuffer', (channel: Buffer, message: Buffer) => this.receive(channel, message));
  }

  async start(): Promise<void> {
    await Promise.all([this.pub.connect(), this.sub.connect()]);
    // The first subscription completes before the relay accepts connections.
    await this.waitSubscribed();
  }

  private subscribing: Promise<void> | null = null;
  private async subscribe(): Promise<void> {
    if (this.closed) return;
    this.subscribing = (async () => {
      try {
        await this.sub.subscribe(this.opts.channel);
      } catch {
        return; // the next 'ready' tries again
      }
      // Anything published while the subscription was down is only in the database now.
      if (this.subscribedOnce) for (const h of this.resubscribeHandlers) h();
      this.subscribedOnce = true;
    })();
    return this.subscribing;
  }

  private async waitSubscribed(): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!this.subscribedOnce) {
      if (Date.now() > deadline) throw new Error('Redis: could not subscribe to the fan-out channel');
      if (this.subscribing) await this.subscribing;
      if (!this.subscribedOnce) await new Promise((r) => setTimeout(r, 20));
    }
  }

  private receive(channel: Buffer, message: Buffer): void {
    if (channel.toString() !== this.opts.channel) return;
    let decoded;
    try {
      decoded = decodeFanoutEvent(new Uint8Array(message.buffer, message.byteOffset, message.byteLength));
    } catch {
      this.malformed++;
      return;
    }
    if (Buffer.compare(Buffer.from(decoded.origin), Buffer.from(this.origin)) === 0) return; // our own
    for (const h of this.handlers) h(decoded.event);
  }

  publish(event: FanoutEvent): void {
    if (this.closed) return;
    if (this.pub.status !== 'ready') return this.markDirty(event);
    const bytes = encodeFanoutEvent(this.origin, event);
    this.pub.publish(this.opts.channel, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).catch(() => this.markDirty(event));
  }

  private markDirty(event: FanoutEvent): void {
    if (event.kind === 'join-request') return; // a notice only; approvers list requests on connect
    const prev = this.dirty.get(event.groupRef) ?? { groupId: event.groupId, lastSeq: 0, logLength: 0 };
    if (!this.dirty.has(event.groupRef) && this.dirty.size >= MAX_DIRTY_GROUPS) return;
    if (event.kind === 'message') prev.lastSeq = Math.max(prev.lastSeq, event.seq);
    else if (event.kind === 'log') prev.logLength = Math.max(prev.logLength, event.index + 1);
    else {
      prev.lastSeq = Math.max(prev.lastSeq, event.lastSeq);
      prev.logLength = Math.max(prev.logLength, event.logLength);
    }
    this.dirty.set(event.groupRef, prev);
  }

  private flushDirty(): void {
    const pending = [...this.dirty];
    this.dirty.clear();
    for (const [groupRef, h] of pending) this.publish({ kind: 'head', groupRef, groupId: h.groupId, lastSeq: h.lastSeq, logLength: h.logLength });
  }

  /** True while the publishing connection is up (tests, health). */
  get publisherReady(): boolean {
    return this.pub.status === 'ready';
  }

  /** Groups waiting for a head event (tests). */
  get dirtyGroups(): number {
    return this.dirty.size;
  }

  onEvent(handler: (event: FanoutEvent) => void): void {
    this.handlers.push(handler);
  }

  onResubscribe(handler: () => void): void {
    this.resubscribeHandlers.push(handler);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pub.disconnect();
    this.sub.disconnect();
  }
}
