// The relay's storage interface, implemented by SQLite (sqlite.ts, one instance) and
// PostgreSQL (postgres.ts, several instances sharing the database). Every method is async
// so a networked store fits; the callbacks passed into transactions are synchronous and pure
// (the log fold).
//
// The store holds only public keys, signed log entries, ciphertext and routing data.

export interface StoredGroup {
  /** Internal integer reference (never leaves the relay). */
  ref: number;
  groupId: Uint8Array;
  publicState: Uint8Array;
  head: Uint8Array;
  epoch: number;
  logLength: number;
  lastSeq: number;
  dissolved: boolean;
}

export interface ServedMember {
  memberId: Uint8Array;
}

/** What the fold callback of an append returns: the new state and the routing it implies. */
export interface FoldedAppend {
  publicState: Uint8Array;
  head: Uint8Array;
  epoch: number;
  dissolved: boolean;
  /** Member IDs the relay serves after the entry (no pending leave). */
  served: Uint8Array[];
  /** Envelopes with their recipient's member ID. */
  envelopes: { recipient: Uint8Array; envelope: Uint8Array }[];
}

export type AppendOutcome =
  | { ok: true; group: StoredGroup; index: number; added: Uint8Array[]; removed: Uint8Array[] }
  | { ok: false; reason: 'head-mismatch' | 'unknown-group' | 'exists'; group?: StoredGroup };

export interface SendRecord {
  groupRef: number;
  senderRef: number;
  clientId: Uint8Array;
  epoch: number;
  sentAt: number;
  body: Uint8Array;
}

/** Result per send, in order: the assigned (or original, for a retry) sequence number. */
export interface SendResult {
  seq: number;
  duplicate: boolean;
  /**
   * Refused because the group's stored epoch is no longer the send's (set by stores shared
   * by several relay instances, where another instance may have committed a log entry that
   * this one has not heard of yet; seq is 0).
   */
  staleEpoch?: boolean;
}

export interface StoredMessage {
  seq: number;
  sender: Uint8Array;
  epoch: number;
  sentAt: number;
  body: Uint8Array;
}

export interface StoredLogItem {
  index: number;
  entry: Uint8Array;
  envelope: Uint8Array;
}

export interface Membership {
  joinedSeq: number;
  joinedLog: number;
}

export interface JoinRequestRow {
  id: number;
  inviteId: Uint8Array;
  createdAt: number;
  body: Uint8Array;
}

export type InviteUse =
  | { ok: true; groupRef: number; requestId: number }
  | { ok: false; reason: 'unknown' | 'expired' | 'used-up' };

export interface SweepResult {
  messages: number;
  blobs: Uint8Array[];
}

export interface RelayStore {
  /** Registers a device on first login (idempotent); returns its internal reference. */
  upsertDevice(memberId: Uint8Array, identityKey: Uint8Array, now: number): Promise<number>;
  deviceRef(memberId: Uint8Array): Promise<number | null>;
  /** The device's Ed25519 identity key (null for an unknown or never-logged-in device). */
  identityKey(deviceRef: number): Promise<Uint8Array | null>;
  putPrekeys(deviceRef: number, signedPrekey: Uint8Array | null, oneTime: { id: number; key: Uint8Array }[], now: number): Promise<void>;
  /** Hands out one one-time prekey at most once (deleted in the same transaction). */
  claimPrekey(memberId: Uint8Array): Promise<{
    identityKey: Uint8Array;
    signedPrekey: Uint8Array | null;
    oneTime: { id: number; key: Uint8Array } | null;
  } | null>;

  /**
   * The stored signed prekey bundles (no one-time prekey; nothing is consumed) of the
   * members in `memberIds` that have one, in any order.
   */
  signedPrekeys(memberIds: Uint8Array[]): Promise<{ memberId: Uint8Array; signedPrekey: Uint8Array }[]>;

  /** Creates a group from its genesis entry; fails with 'exists' for a known group ID. */
  createGroup(groupId: Uint8Array, entry: Uint8Array, folded: FoldedAppend, now: number): Promise<AppendOutcome>;
  /**
   * Compare-and-swap append: in one transaction, checks the stored head equals
   * `expectedHead`, runs `fold(storedState)` (which throws to reject), stores the entry,
   * envelopes, new state and served set.
   */
  appendEntry(
    groupId: Uint8Array,
    expectedHead: Uint8Array,
    entry: Uint8Array,
    fold: (group: StoredGroup) => FoldedAppend,
    now: number,
  ): Promise<AppendOutcome>;
  loadGroup(groupId: Uint8Array): Promise<StoredGroup | null>;
  loadGroupByRef(ref: number): Promise<StoredGroup | null>;
  /** Groups a device is served in. */
  groupsOf(deviceRef: number): Promise<StoredGroup[]>;
  membership(groupRef: number, deviceRef: number): Promise<Membership | null>;
  readLog(groupRef: number, after: number, limit: number, recipient: Uint8Array): Promise<StoredLogItem[]>;

  /** Group commit: every send in one transaction; sequence numbers assigned inside it. */
  commitSends(batch: SendRecord[]): Promise<SendResult[]>;
  readMessages(groupRef: number, after: number, limit: number): Promise<StoredMessage[]>;
  /** Per-device cursors: the highest seq the device has acknowledged, per group. */
  saveCursors(cursors: { deviceRef: number; groupRef: number; seq: number }[]): Promise<void>;
  cursor(deviceRef: number, groupRef: number): Promise<number | null>;

  putBlobMeta(blobId: Uint8Array, groupRef: number, size: number, now: number): Promise<void>;
  blobGroup(blobId: Uint8Array): Promise<number | null>;

  createInvite(inviteId: Uint8Array, groupRef: number, expiresAt: number, maxUses: number, now: number): Promise<void>;
  /** Checks expiry and use count, counts the use and queues the request, in one transaction. */
  useInvite(inviteId: Uint8Array, requesterRef: number, body: Uint8Array, now: number): Promise<InviteUse>;
  listJoinRequests(groupRef: number, after: number, limit: number): Promise<JoinRequestRow[]>;
  deleteJoinRequest(groupRef: number, id: number): Promise<boolean>;

  /**
   * Retention: deletes messages every served device has acknowledged, and messages and
   * blob records older than `olderThan`. Returns the blob IDs whose files must go.
   */
  sweep(olderThan: number): Promise<SweepResult>;

  // Notification subscriptions (relay/src/notify, migration 0002).
  /** Registers (or replaces) the device's opaque subscription token (1..256 bytes). */
  putNotifySubscription(deviceRef: number, subscription: Uint8Array, now: number): Promise<void>;
  /** Removes it; false when there was none. */
  deleteNotifySubscription(deviceRef: number): Promise<boolean>;
  /** The subscriptions of those of `memberIds` that have one. */
  notifySubscriptions(memberIds: Uint8Array[]): Promise<{ memberId: Uint8Array; subscription: Uint8Array }[]>;

  sizeBytes(): Promise<number>;
  /** Flushes the write-ahead log into the main file (graceful shutdown, backups). */
  checkpoint(): Promise<void>;
  close(): Promise<void>;
}
