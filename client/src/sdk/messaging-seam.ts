// The seam between the group engine (membership, epochs, sender chains, relay order) and
// the messaging layer (message content types, the send pipeline, what a received message
// means). The engine moves opaque plaintext bytes; messaging decides what they say.
//
// Engine side: client/src/sdk/group-engine*.ts implements GroupMessaging.
// Messaging side: client/src/sdk/messaging*.ts uses it and registers the receiver.
import type { PublicGroupState } from '../../../crypto/src/log/public-fold';
import type { GroupInfo } from '../../../crypto/src/wire/group-info';

export interface IncomingPlaintext {
  groupId: Uint8Array;
  /** Relay sequence number in the group. */
  seq: number;
  sender: Uint8Array;
  epoch: number;
  /** The relay's receive time (ms). The sender's own time is inside the content. */
  sentAt: number;
  /** Decrypted, verified, unpadded content bytes. */
  plaintext: Uint8Array;
  /** Public group state at the sender's epoch (for the receiver's permission checks). */
  state: PublicGroupState;
}

export interface SentPlaintext {
  seq: number;
  epoch: number;
}

export interface GroupMessaging {
  /**
   * Encrypts `plaintext` in the group's current epoch, persists the sender state, then sends
   * it under `clientMessageId` (16 bytes, time-ordered). Waits while a removal is pending
   * (the engine commits it), and on STALE_EPOCH catches up, re-encrypts and resends.
   * Rejects with E2E_ERR_NOT_A_MEMBER / E2E_ERR_RELAY_FORBIDDEN / ... when it cannot.
   */
  sendPlaintext(groupId: Uint8Array, plaintext: Uint8Array, clientMessageId: Uint8Array): Promise<SentPlaintext>;
  /**
   * Registers the one receiver of decrypted messages. The engine calls it in relay order,
   * one at a time, and ACKs a message to the relay only after the returned promise
   * resolves (so a crash before the receiver persisted it redelivers it).
   */
  setReceiver(receiver: (m: IncomingPlaintext) => Promise<void>): void;
  /**
   * Optional (additive): registers a receiver of several messages at once, in relay order
   * (catch-up). An engine that implements it may hand a run of messages to it instead of
   * one by one to the single receiver, and ACKs up to the last of them after it resolves;
   * the messaging layer then stores them with one history append instead of one each.
   */
  setBatchReceiver?(receiver: (ms: readonly IncomingPlaintext[]) => Promise<void>): void;
  /** Current public state of a group the device is in, or undefined. */
  publicState(groupId: Uint8Array): PublicGroupState | undefined;
  /** Decrypted group info (name, announcement, avatar, type), or undefined before any. */
  groupInfo(groupId: Uint8Array): GroupInfo | undefined;
  /** This device's member ID. */
  readonly selfId: Uint8Array;
  /** Uploads an already encrypted attachment blob; answers the blob ID. */
  uploadBlob(groupId: Uint8Array, blob: Uint8Array): Promise<Uint8Array>;
  downloadBlob(blobId: Uint8Array): Promise<Uint8Array>;
}
