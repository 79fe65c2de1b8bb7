// The seams between the SDK and the platform it runs on, and between the SDK's group
// logic and the relay. Written first so the pieces can be built side by side:
//
//   Platform        what Node (net/node-platform.ts) and WeChat (miniprogram/lib/wx-platform.ts)
//                   each provide: sockets, HTTP, timers, a clock. Nothing else of the
//                   platform is reachable from SDK code, so the same SDK runs on both.
//   RelayApi        one typed call per HTTP route of docs/RELAY.md (net/relay-api.ts).
//   RelayConnection the WebSocket session: AUTH, READY, RESUME, SEND/SEND_OK, ACK, PING,
//                   reconnect with backoff (net/connection.ts).
//
// Bytes cross every seam as Uint8Array; IDs are bytes (hex only in URLs and logs).
import type {
  InviteCreateRequest,
  JoinRequestItem,
  LogAppendRequest,
  LogAppendResponse,
  LogPage,
  MessagePage,
  PrekeyBundlesItem,
  PrekeyUpload,
} from '../../../crypto/src/wire/http-bodies';
import type { RelayErrorName, ResumeCursor } from '../../../crypto/src/wire/relay-frames';

// --- platform -----------------------------------------------------------------

export interface SocketHandlers {
  onOpen(): void;
  /** One binary WebSocket message. Text messages are a protocol error: the adapter closes. */
  onMessage(data: Uint8Array): void;
  /** Called once, after which the socket is dead. `code` 1006 when the platform gives none. */
  onClose(code: number, reason: string): void;
}

export interface PlatformSocket {
  /** Sends one binary message; throws E2E_ERR_NET_CLOSED when the socket is not open. */
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  /** Bytes queued but not yet written (0 when the platform cannot tell). */
  readonly bufferedAmount: number;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  body?: Uint8Array;
  /** The adapter rejects with E2E_ERR_NET_TIMEOUT after this long. */
  timeoutMs: number;
  /**
   * Largest response body the caller accepts. An adapter that can tell early (a
   * content-length, a stream) rejects a larger body with E2E_ERR_NET_BAD_RESPONSE before
   * reading it all; the caller checks again after. Added by the network layer (additive).
   */
  maxResponseBytes?: number;
}

export interface HttpResponse {
  status: number;
  /** Lower-case content type, '' when absent. */
  contentType: string;
  body: Uint8Array;
}

export interface Platform {
  /** 'node' or 'wx': for diagnostics and docs, never for branching in SDK code. */
  readonly name: string;
  /** Opens a WebSocket to a ws:// or wss:// URL. Failure to connect arrives as onClose. */
  openSocket(url: string, handlers: SocketHandlers): PlatformSocket;
  /** Network failures reject with E2eeError E2E_ERR_NET_FAILED / E2E_ERR_NET_TIMEOUT. */
  request(req: HttpRequest): Promise<HttpResponse>;
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimer(fn: () => void, ms: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

/** Opaque timer handle of a Platform (a Node Timeout, a wx number). */
export type TimerHandle = unknown;

// --- relay HTTP API -----------------------------------------------------------

/**
 * A refusal from the relay, as an E2eeError whose code is `E2E_ERR_RELAY_<NAME>` (the
 * names of RELAY_ERROR in crypto/src/wire/relay-frames.ts) and whose `relayError` is the
 * name, so callers branch on `err.relayError === 'HEAD_MISMATCH'`.
 */
export interface RelayRefusal {
  readonly relayError: RelayErrorName;
  /** HTTP status, or 0 for a WebSocket ERROR frame. */
  readonly status: number;
}

export interface Session {
  token: Uint8Array;
  memberId: Uint8Array;
  /** Expiry in the relay's clock (ms since the Unix epoch). */
  expiresAt: number;
  /**
   * The lifetime the relay granted, ms: expiresAt minus the challenge's issue time, both
   * relay clock. Lets a device with a wrong clock renew in time. Added by the network
   * layer (additive).
   */
  lifetimeMs?: number;
}

export interface RelayApi {
  /** Challenge-response login with the device identity (docs/RELAY.md "Auth"). */
  login(identityKey: Uint8Array, sign: (challenge: Uint8Array) => Uint8Array): Promise<Session>;
  uploadPrekeys(upload: PrekeyUpload): Promise<void>;
  /** A prekey bundle (crypto/src/wire/identity.ts) of `memberId`; null when the relay has none. */
  claimPrekey(memberId: Uint8Array): Promise<Uint8Array | null>;
  /**
   * The signed prekey bundles (no one-time prekey: nothing is consumed) of 1..100 members of
   * `groupId`, which the caller must be a member of. Members without one are left out.
   * Unverified: the caller checks every signature and identity.
   */
  fetchPrekeyBundles(groupId: Uint8Array, memberIds: Uint8Array[]): Promise<PrekeyBundlesItem[]>;
  /** Posts a genesis entry (expectedHead all zero). */
  createGroup(req: LogAppendRequest): Promise<LogAppendResponse>;
  /** Compare-and-swap append; a lost race rejects with relayError HEAD_MISMATCH. */
  appendLog(groupId: Uint8Array, req: LogAppendRequest): Promise<LogAppendResponse>;
  fetchLog(groupId: Uint8Array, from: number, limit: number): Promise<LogPage>;
  fetchMessages(groupId: Uint8Array, after: number, limit: number): Promise<MessagePage>;
  uploadBlob(groupId: Uint8Array, blob: Uint8Array): Promise<Uint8Array>;
  downloadBlob(blobId: Uint8Array): Promise<Uint8Array>;
  createInvite(groupId: Uint8Array, req: InviteCreateRequest): Promise<Uint8Array>;
  /** Posts a sealed join request under an invite; answers the relay's request ID. */
  requestJoin(inviteId: Uint8Array, body: Uint8Array): Promise<number>;
  listJoinRequests(groupId: Uint8Array, after: number, limit: number): Promise<JoinRequestItem[]>;
  deleteJoinRequest(groupId: Uint8Array, requestId: number): Promise<void>;
  /**
   * Opts in to off-app wake-ups: `subscription` is the opaque token the platform issued
   * (1..256 bytes, e.g. a WeChat template-subscription grant bound to the openid). The relay
   * hands it to its notifier and never logs it. Rejects with relayError NOT_FOUND when the
   * relay has notifications off. Added by the network layer (additive).
   */
  subscribeNotifications(subscription: Uint8Array): Promise<void>;
  /** Opts out (idempotent). Added by the network layer (additive). */
  unsubscribeNotifications(): Promise<void>;
}

// --- relay WebSocket session ----------------------------------------------------

export type ConnectionState = 'offline' | 'connecting' | 'ready' | 'closed';

/** What the relay pushes, already decoded (crypto/src/wire/relay-frames.ts). */
export interface ConnectionEvents {
  state(state: ConnectionState, detail?: { closeCode?: number; retryInMs?: number }): void;
  message(m: { groupId: Uint8Array; seq: number; sender: Uint8Array; epoch: number; sentAt: number; ciphertext: Uint8Array }): void;
  logEntry(e: { groupId: Uint8Array; index: number; entry: Uint8Array; envelope: Uint8Array }): void;
  caughtUp(c: { groupId: Uint8Array; messageSeq: number; logLength: number }): void;
  removed(r: { groupId: Uint8Array }): void;
  joinRequest(r: { groupId: Uint8Array; requestId: number }): void;
}

export interface SendResult {
  seq: number;
  /** The relay had this client message ID already (a retry): nothing was delivered twice. */
  duplicate: boolean;
}

export interface RelayConnection {
  readonly state: ConnectionState;
  /**
   * Logs in, opens the socket, sends AUTH then RESUME with the cursors `resumeCursors()`
   * returns at that moment (called again on every reconnect), and keeps the session up:
   * reconnects with exponential backoff and jitter, logs in again when the token expires.
   */
  start(resumeCursors: () => ResumeCursor[]): void;
  /**
   * Sends a group message; resolves on SEND_OK. Rejects with the relay's refusal
   * (e.g. relayError STALE_EPOCH) or E2E_ERR_NET_CLOSED when the socket drops before the
   * answer (the caller retries with the SAME clientMessageId: the relay deduplicates).
   */
  send(groupId: Uint8Array, clientMessageId: Uint8Array, ciphertext: Uint8Array): Promise<SendResult>;
  /** Tells the relay everything up to `seq` in the group is processed and persisted. */
  ack(groupId: Uint8Array, seq: number): void;
  on<K extends keyof ConnectionEvents>(event: K, handler: ConnectionEvents[K]): () => void;
  /** Closes for good (no reconnect). */
  stop(): Promise<void>;
}
