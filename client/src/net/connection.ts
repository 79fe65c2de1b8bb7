// The WebSocket session with the relay (docs/RELAY.md "WebSocket frames"):
//   login (reusing the session until it expires) -> open -> AUTH -> READY -> RESUME
//   -> frames dispatched as ConnectionEvents in arrival order; SEND correlated with
//   SEND_OK / ERROR by client message ID; PING/PONG keepalive at READY's heartbeatMs;
//   reconnect with exponential backoff and jitter; close codes handled (docs/CLIENT-NET.md).
// No token, key or content ever appears in an error message or a log line.
import { bytesToHex } from '../../../crypto/src/bytes';
import { assertBytes, assertInteger } from '../../../crypto/src/bytes';
import { E2eeError } from '../../../crypto/src/errors';
import type { RandomSource } from '../../../crypto/src/primitives/types';
import {
  CLIENT_MESSAGE_ID_BYTES,
  CLOSE,
  decodeRelayFrame,
  encodeClientFrame,
  FRAME,
  MAX_GROUP_ID_BYTES,
  type RelayFrame,
  type ResumeCursor,
} from '../../../crypto/src/wire/relay-frames';
import { NET_CLOSED, NET_TIMEOUT, refusalOfFrame } from './errors';
import { createSessionKeeper, type SessionKeeper } from './session';
import type {
  ConnectionEvents,
  ConnectionState,
  Platform,
  PlatformSocket,
  RelayApi,
  RelayConnection,
  SendResult,
  Session,
  TimerHandle,
} from './types';

export interface ConnectionOptions {
  platform: Platform;
  api: RelayApi;
  /** ws:// or wss:// URL of the relay's /v1/ws endpoint. */
  wsUrl: string;
  /** The device's Ed25519 identity public key. */
  identityKey: Uint8Array;
  /** Signs a relay auth challenge: (c) => signRelayAuthChallenge(p, seed, c). */
  sign: (challenge: Uint8Array) => Uint8Array;
  /** Jitter and ping nonces (not secret). Default: a generator seeded from the clock. */
  random?: RandomSource;
  /** Share one session with the RelayApi (createRelayClient does). Default: a keeper of its own. */
  sessions?: SessionKeeper;
  /** Reconnect delays: the n-th retry waits min(maxMs, minMs * 2^n), jittered to 50..100 %. */
  backoff?: { minMs?: number; maxMs?: number };
  /** SEND without SEND_OK/ERROR for this long rejects with E2E_ERR_NET_TIMEOUT. Default 15 000. */
  sendTimeoutMs?: number;
  /** From socket open to READY, ms. Default 10 000. */
  readyTimeoutMs?: number;
  /** PING interval override, ms (default: READY's heartbeatMs, at least 100). */
  pingIntervalMs?: number;
  /** Pending sends at most (further sends reject with RangeError). Default 10 000. */
  maxPendingSends?: number;
  /** One line per connection event (state changes, refusals, drops). Never secrets. */
  log?: (line: string) => void;
}

export const CONNECTION_DEFAULTS = {
  backoffMinMs: 250,
  backoffMaxMs: 30_000,
  sendTimeoutMs: 15_000,
  readyTimeoutMs: 10_000,
  minPingIntervalMs: 100,
  maxPendingSends: 10_000,
} as const;

/** The connection plus what the SDK needs around it. */
export interface ManagedRelayConnection extends RelayConnection {
  /** The session keeper the connection logs in with (share it with the RelayApi). */
  readonly sessions: SessionKeeper;
  /** Resolves when the state is 'ready'; rejects with E2E_ERR_NET_TIMEOUT after `timeoutMs`, NET_CLOSED on stop(). */
  whenReady(timeoutMs?: number): Promise<void>;
  /** Member ID from the last READY (undefined before the first). */
  readonly memberId: Uint8Array | undefined;
}

interface Pending {
  resolve(r: SendResult): void;
  reject(e: unknown): void;
  timer: TimerHandle;
  promise: Promise<SendResult>;
}

type Handlers = { [K in keyof ConnectionEvents]: Set<ConnectionEvents[K]> };

export function createRelayConnection(opts: ConnectionOptions): ManagedRelayConnection {
  const { platform, api } = opts;
  if (!/^wss?:\/\//.test(opts.wsUrl)) throw new TypeError('"wsUrl" must be a ws:// or wss:// URL');
  assertBytes('identityKey', opts.identityKey, 32);
  const minMs = opts.backoff?.minMs ?? CONNECTION_DEFAULTS.backoffMinMs;
  const maxMs = opts.backoff?.maxMs ?? CONNECTION_DEFAULTS.backoffMaxMs;
  if (!(minMs > 0 && maxMs >= minMs)) throw new RangeError('"backoff" needs 0 < minMs <= maxMs');
  const sendTimeoutMs = opts.sendTimeoutMs ?? CONNECTION_DEFAULTS.sendTimeoutMs;
  const readyTimeoutMs = opts.readyTimeoutMs ?? CONNECTION_DEFAULTS.readyTimeoutMs;
  const maxPending = opts.maxPendingSends ?? CONNECTION_DEFAULTS.maxPendingSends;
  const sessions = opts.sessions ?? createSessionKeeper({ platform, api, identityKey: opts.identityKey, sign: opts.sign });
  const random = opts.random ?? clockSeededRandom(platform.now());
  const log = (line: string) => {
    try {
      opts.log?.(`relay-connection: ${line}`);
    } catch {
      /* a logger's failure is not ours */
    }
  };

  const handlers: Handlers = {
    state: new Set(),
    message: new Set(),
    logEntry: new Set(),
    caughtUp: new Set(),
    removed: new Set(),
    joinRequest: new Set(),
  };
  const pending = new Map<string, Pending>();
  const readyWaiters = new Set<{ resolve(): void; reject(e: unknown): void }>();

  let state: ConnectionState = 'offline';
  let started = false;
  let stopped = false;
  let cursors: () => ResumeCursor[] = () => [];
  /** Incremented for every socket; handlers of an older socket are ignored. */
  let gen = 0;
  let socket: PlatformSocket | null = null;
  let attempt = 0;
  let authRetried = false;
  let retryTimer: TimerHandle | null = null;
  let readyTimer: TimerHandle | null = null;
  let pingTimer: TimerHandle | null = null;
  let awaitingPong = false;
  let pingNonce = 0;
  let memberId: Uint8Array | undefined;
  let closedSignal: (() => void) | null = null;
  /** The generation of the socket open when stop() was called. */
  let stopGen = -1;

  function emit<K extends keyof ConnectionEvents>(event: K, ...args: Parameters<ConnectionEvents[K]>): void {
    for (const h of handlers[event]) {
      try {
        (h as (...a: Parameters<ConnectionEvents[K]>) => void)(...args);
      } catch {
        log(`a ${event} handler threw (ignored)`);
      }
    }
  }

  function setState(next: ConnectionState, detail?: { closeCode?: number; retryInMs?: number }): void {
    if (state === next && !detail) return;
    state = next;
    if (next === 'ready') {
      for (const w of readyWaiters) w.resolve();
      readyWaiters.clear();
    }
    emit('state', next, detail);
  }

  function clear(t: TimerHandle | null): null {
    if (t !== null) platform.clearTimer(t);
    return null;
  }

  function rejectPending(err: () => unknown): void {
    for (const [, p] of pending) {
      platform.clearTimer(p.timer);
      p.reject(err());
    }
    pending.clear();
  }

  /** The n-th retry delay: min(max, min * 2^n), jittered to 50..100 %. */
  function backoffDelay(n: number): number {
    const full = Math.min(maxMs, minMs * 2 ** Math.min(n, 30));
    const r = random(4);
    const u = ((r[0]! << 24) | (r[1]! << 16) | (r[2]! << 8) | r[3]!) >>> 0;
    return Math.round(full / 2 + (full / 2) * (u / 0x1_0000_0000));
  }

  function scheduleConnect(delayMs: number, closeCode?: number): void {
    if (stopped) return;
    retryTimer = clear(retryTimer);
    setState('offline', { ...(closeCode !== undefined ? { closeCode } : {}), retryInMs: delayMs });
    retryTimer = platform.setTimer(() => {
      retryTimer = null;
      void connect();
    }, delayMs);
  }

  async function connect(): Promise<void> {
    if (stopped) return;
    const myGen = ++gen;
    setState('connecting');
    let session: Session;
    try {
      session = await sessions.ensure();
    } catch (e) {
      if (stopped || myGen !== gen) return;
      log(`login failed (${describe(e)})`);
      scheduleConnect(backoffDelay(attempt++));
      return;
    }
    if (stopped || myGen !== gen) return;
    let s: PlatformSocket;
    try {
      s = platform.openSocket(opts.wsUrl, {
        onOpen: () => {
          if (myGen !== gen) return;
          try {
            s.send(encodeClientFrame({ type: FRAME.AUTH, token: session.token }));
          } catch {
            drop(myGen, 1006, 'AUTH could not be sent');
          }
        },
        onMessage: (data) => {
          if (myGen === gen) onFrame(myGen, data);
        },
        onClose: (code) => {
          if (myGen === gen) drop(myGen, code, 'closed');
          else if (stopped && myGen === stopGen) closedSignal?.();
        },
      });
    } catch (e) {
      log(`socket could not be opened (${describe(e)})`);
      scheduleConnect(backoffDelay(attempt++));
      return;
    }
    socket = s;
    readyTimer = platform.setTimer(() => {
      readyTimer = null;
      if (myGen !== gen) return;
      log('no READY in time');
      abandon(myGen, 4000, 'no READY');
    }, readyTimeoutMs);
  }

  /** Closes the current socket ourselves and handles it as a drop right away (a dead peer never answers the close). */
  function abandon(myGen: number, code: number, why: string): void {
    const s = socket;
    drop(myGen, code, why);
    try {
      s?.close(1000, why);
    } catch {
      /* already gone */
    }
  }

  /** The socket is gone: reject pending sends, then reconnect as the close code says. */
  function drop(myGen: number, code: number, why: string): void {
    if (myGen !== gen) return;
    gen++; // later callbacks of this socket are stale
    socket = null;
    readyTimer = clear(readyTimer);
    pingTimer = clear(pingTimer);
    awaitingPong = false;
    rejectPending(() => new E2eeError(NET_CLOSED, `connection closed (${code}) before the relay answered`, 'send'));
    if (stopped) return;
    log(`disconnected (${code}, ${why})`);
    if (code === CLOSE.TOKEN_EXPIRED || code === CLOSE.AUTH_FAILED) {
      // The token expired (4403) or the relay does not know it (4401: a restart forgets
      // tokens): log in again. At once the first time; if the fresh token is refused too
      // before any READY, back off so a confused relay is not hammered with logins.
      sessions.invalidate();
      if (!authRetried) {
        authRetried = true;
        scheduleConnect(0, code);
      } else scheduleConnect(backoffDelay(attempt++), code);
    } else {
      scheduleConnect(backoffDelay(attempt++), code);
    }
  }

  function onFrame(myGen: number, data: Uint8Array): void {
    let f: RelayFrame;
    try {
      f = decodeRelayFrame(data);
    } catch (e) {
      log(`relay sent a frame that does not decode (${describe(e)})`);
      abandon(myGen, 1002, 'malformed frame');
      return;
    }
    switch (f.type) {
      case FRAME.READY: {
        if (state === 'ready') return; // a second READY means nothing
        readyTimer = clear(readyTimer);
        memberId = f.memberId;
        attempt = 0;
        authRetried = false;
        let list: ResumeCursor[];
        try {
          list = cursors();
        } catch {
          log('resumeCursors() threw: resuming without cursors');
          list = [];
        }
        try {
          socket?.send(encodeClientFrame({ type: FRAME.RESUME, cursors: list }));
        } catch (e) {
          log(`RESUME could not be sent (${describe(e)})`);
          abandon(myGen, 4000, 'RESUME failed');
          return;
        }
        startPings(myGen, f.heartbeatMs);
        setState('ready');
        return;
      }
      case FRAME.SEND_OK: {
        const key = bytesToHex(f.clientMessageId);
        const p = pending.get(key);
        if (!p) return;
        pending.delete(key);
        platform.clearTimer(p.timer);
        p.resolve({ seq: f.seq, duplicate: f.duplicate });
        return;
      }
      case FRAME.ERROR: {
        const err = refusalOfFrame(f.code, f.detail, 'send');
        const key = bytesToHex(f.clientMessageId);
        const p = f.clientMessageId.some((b) => b !== 0) ? pending.get(key) : undefined;
        if (p) {
          pending.delete(key);
          platform.clearTimer(p.timer);
          p.reject(err);
        } else {
          log(`relay error without a pending send (${'relayError' in err ? String(err.relayError) : err.code})`);
        }
        return;
      }
      case FRAME.PONG:
        awaitingPong = false;
        return;
      case FRAME.MESSAGE:
        emit('message', { groupId: f.groupId, seq: f.seq, sender: f.sender, epoch: f.epoch, sentAt: f.sentAt, ciphertext: f.ciphertext });
        return;
      case FRAME.LOG_ENTRY:
        emit('logEntry', { groupId: f.groupId, index: f.index, entry: f.entry, envelope: f.envelope });
        return;
      case FRAME.CAUGHT_UP:
        emit('caughtUp', { groupId: f.groupId, messageSeq: f.messageSeq, logLength: f.logLength });
        return;
      case FRAME.REMOVED:
        emit('removed', { groupId: f.groupId });
        return;
      case FRAME.JOIN_REQUEST:
        emit('joinRequest', { groupId: f.groupId, requestId: f.requestId });
        return;
    }
  }

  /** PING every interval; a PING still unanswered at the next tick means the link is dead. */
  function startPings(myGen: number, heartbeatMs: number): void {
    const every = opts.pingIntervalMs ?? Math.max(CONNECTION_DEFAULTS.minPingIntervalMs, heartbeatMs);
    const tick = () => {
      pingTimer = null;
      if (myGen !== gen) return;
      if (awaitingPong) {
        log('no PONG in time');
        abandon(myGen, CLOSE.HEARTBEAT_TIMEOUT, 'no PONG');
        return;
      }
      awaitingPong = true;
      pingNonce = (pingNonce + 1) % 0x1_0000_0000;
      try {
        socket?.send(encodeClientFrame({ type: FRAME.PING, nonce: pingNonce }));
      } catch {
        abandon(myGen, 1006, 'PING failed');
        return;
      }
      pingTimer = platform.setTimer(tick, every);
    };
    pingTimer = platform.setTimer(tick, every);
  }

  const conn: ManagedRelayConnection = {
    get state() {
      return state;
    },
    get memberId() {
      return memberId;
    },
    sessions,

    start(resumeCursors) {
      if (typeof resumeCursors !== 'function') throw new TypeError('"resumeCursors" must be a function');
      if (started) throw new Error('start() was already called');
      started = true;
      cursors = resumeCursors;
      void connect();
    },

    send(groupId, clientMessageId, ciphertext) {
      assertBytes('groupId', groupId);
      if (groupId.length < 1 || groupId.length > MAX_GROUP_ID_BYTES) throw new RangeError(`"groupId" expected 1..${MAX_GROUP_ID_BYTES} bytes`);
      assertBytes('clientMessageId', clientMessageId, CLIENT_MESSAGE_ID_BYTES);
      assertBytes('ciphertext', ciphertext);
      const key = bytesToHex(clientMessageId);
      const existing = pending.get(key);
      if (existing) return existing.promise; // the same send is already on its way
      if (state !== 'ready' || !socket) return Promise.reject(new E2eeError(NET_CLOSED, 'not connected to the relay', 'send'));
      if (pending.size >= maxPending) return Promise.reject(new RangeError(`more than ${maxPending} sends pending`));
      let frame: Uint8Array;
      try {
        frame = encodeClientFrame({ type: FRAME.SEND, clientMessageId, groupId, ciphertext });
      } catch (e) {
        return Promise.reject(e);
      }
      let resolve!: (r: SendResult) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<SendResult>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      const timer = platform.setTimer(() => {
        if (pending.get(key)?.promise !== promise) return;
        pending.delete(key);
        reject(new E2eeError(NET_TIMEOUT, `no answer to a send within ${sendTimeoutMs} ms`, 'send'));
      }, sendTimeoutMs);
      pending.set(key, { resolve, reject, timer, promise });
      try {
        socket.send(frame);
      } catch {
        pending.delete(key);
        platform.clearTimer(timer);
        reject(new E2eeError(NET_CLOSED, 'not connected to the relay', 'send'));
      }
      return promise;
    },

    ack(groupId, seq) {
      assertBytes('groupId', groupId);
      assertInteger('seq', seq);
      // Not connected: nothing to do, the next RESUME carries the cursors.
      if (state !== 'ready' || !socket) return;
      try {
        socket.send(encodeClientFrame({ type: FRAME.ACK, groupId, seq }));
      } catch {
        /* the drop is reported by onClose */
      }
    },

    on(event, handler) {
      if (typeof handler !== 'function') throw new TypeError('"handler" must be a function');
      const set = handlers[event] as Set<typeof handler>;
      set.add(handler);
      return () => {
        set.delete(handler);
      };
    },

    whenReady(timeoutMs = 30_000) {
      if (state === 'ready') return Promise.resolve();
      if (stopped) return Promise.reject(new E2eeError(NET_CLOSED, 'connection stopped', 'whenReady'));
      return new Promise<void>((resolve, reject) => {
        const w = {
          resolve: () => {
            platform.clearTimer(t);
            resolve();
          },
          reject: (e: unknown) => {
            platform.clearTimer(t);
            reject(e);
          },
        };
        const t = platform.setTimer(() => {
          readyWaiters.delete(w);
          reject(new E2eeError(NET_TIMEOUT, `not connected within ${timeoutMs} ms`, 'whenReady'));
        }, timeoutMs);
        readyWaiters.add(w);
      });
    },

    async stop() {
      if (stopped) return;
      stopped = true;
      retryTimer = clear(retryTimer);
      readyTimer = clear(readyTimer);
      pingTimer = clear(pingTimer);
      for (const w of readyWaiters) w.reject(new E2eeError(NET_CLOSED, 'connection stopped', 'whenReady'));
      readyWaiters.clear();
      rejectPending(() => new E2eeError(NET_CLOSED, 'connection stopped before the relay answered', 'send'));
      const s = socket;
      socket = null;
      stopGen = gen;
      gen++;
      setState('closed');
      if (s) {
        const closedNow = new Promise<void>((r) => (closedSignal = r));
        // Wait briefly for the close handshake; a dead link must not hold stop() up.
        const t = platform.setTimer(() => closedSignal?.(), 1000);
        try {
          s.close(1000, 'client stopping');
        } catch {
          closedSignal?.();
        }
        await closedNow;
        platform.clearTimer(t);
      }
    },
  };
  return conn;
}

/** Not for secrets: spreads reconnect times and numbers pings when no RandomSource is given. */
function clockSeededRandom(seed: number): RandomSource {
  let x = (seed ^ 0x9e3779b9) >>> 0 || 1;
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      out[i] = x & 0xff;
    }
    return out;
  };
}

function describe(e: unknown): string {
  if (e instanceof E2eeError) return e.code;
  return e instanceof Error ? e.name : 'error';
}
