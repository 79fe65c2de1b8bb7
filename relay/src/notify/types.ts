// Off-app notifications (issue 6): opt-in, content-free wake-ups for members with no live
// socket, through a pluggable notifier. docs/RELAY.md "Notifications" has the threat model.

export type NotificationKind = 'message' | 'membership';

/** One wake-up. It carries no content, no group name, no sender: only who to wake and why. */
export interface Notification {
  /** The member (device) to wake. */
  memberId: Uint8Array;
  /** The active group (a notifier that cannot hide it may leave it out). */
  groupId?: Uint8Array;
  /** 'message': a message was accepted; 'membership': a log entry (someone joined, left, ...). */
  kind: NotificationKind;
  /**
   * The opaque subscription the member registered (PUT /v1/notify/subscription), e.g. a
   * WeChat template-subscription grant bound to its openid. Only a notifier that delivers
   * through that platform reads it; it is never logged.
   */
  subscription: Uint8Array;
}

export interface Notifier {
  /** 'log', 'none', or a platform name: for start-up lines and metrics. */
  readonly name: string;
  /** Delivers one wake-up. Failures are counted and dropped: a notification is best effort. */
  notify(n: Notification): void | Promise<void>;
  close?(): Promise<void>;
}

/** What the dispatcher needs from the store (implemented by the SQLite store; optional in RelayStore). */
export interface NotifySubscriptionLookup {
  /** The subscriptions of those of `memberIds` that have one. */
  notifySubscriptions(memberIds: Uint8Array[]): Promise<{ memberId: Uint8Array; subscription: Uint8Array }[]>;
}

/** Largest subscription token a device may register, bytes. */
export const MAX_SUBSCRIPTION_BYTES = 256;
/** (member, group) pairs remembered for throttling at most; beyond it new wake-ups are dropped. */
export const MAX_TRACKED_PAIRS = 100_000;
/** Subscription lookups in flight at most; beyond it wake-ups are dropped. */
export const MAX_LOOKUPS_IN_FLIGHT = 256;
