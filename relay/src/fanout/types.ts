// Cross-instance fan-out: what one relay instance tells the others after a commit.
// A single instance needs none of it (NO_FANOUT); several instances on one PostgreSQL
// database use Redis pub/sub (redis.ts). The database stays the source of truth: an event
// only says "this was committed"; a receiver that sees a gap, or that lost its subscription,
// catches up from the database. Every event names the group by its internal reference and
// its group ID; a receiver ignores an event whose pair does not match its own (a channel
// shared by mistake between deployments).

/** A message committed by another instance (the frame's fields; the body is ciphertext). */
export interface MessageEvent {
  kind: 'message';
  groupRef: number;
  groupId: Uint8Array;
  seq: number;
  sender: Uint8Array;
  epoch: number;
  sentAt: number;
  body: Uint8Array;
}

/** A log entry appended by another instance, with the devices it started or stopped serving. */
export interface LogEvent {
  kind: 'log';
  groupRef: number;
  groupId: Uint8Array;
  index: number;
  added: Uint8Array[];
  removed: Uint8Array[];
}

/** A join request queued through another instance (approvers connected here are told). */
export interface JoinRequestEvent {
  kind: 'join-request';
  groupRef: number;
  groupId: Uint8Array;
  requestId: number;
}

/**
 * "Group is at least here": sent when earlier events of this instance could not be
 * published (Redis was unreachable), so receivers notice the gap and catch up.
 */
export interface HeadEvent {
  kind: 'head';
  groupRef: number;
  groupId: Uint8Array;
  lastSeq: number;
  logLength: number;
}

export type FanoutEvent = MessageEvent | LogEvent | JoinRequestEvent | HeadEvent;

export interface Fanout {
  /** True when other instances exist (the core then checks epochs and reloads groups it may have stale). */
  readonly shared: boolean;
  /** Publishes after commit; never throws (a failed publish is repaired by a later head event). */
  publish(event: FanoutEvent): void;
  /** Events from other instances, in the order each one published them. */
  onEvent(handler: (event: FanoutEvent) => void): void;
  /** Called after every (re)subscription: anything published while it was down was missed. */
  onResubscribe(handler: () => void): void;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** One instance: nothing to tell anyone. */
export const NO_FANOUT: Fanout = {
  shared: false,
  publish() {},
  onEvent() {},
  onResubscribe() {},
  async start() {},
  async close() {},
};
