// The relay process: HTTP server, WebSocket endpoint (`ws`, noServer, explicit limits),
// upgrade path, heartbeats, graceful shutdown. app.ts has the routes; core.ts the runtime.
import { createAdaptorServer } from '@hono/node-server';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { isE2eeError } from '../../crypto/src/errors';
import { nodeRandom } from '../../crypto/src/primitives/random';
import { loadDefaultPrimitives } from '../../crypto/src/primitives/select';
import type { Primitives } from '../../crypto/src/primitives/types';
import { decodeGroupMessageHeader } from '../../crypto/src/wire/message';
import { CLOSE, decodeClientFrame, encodeRelayFrame, FRAME, MAX_FRAME_PAYLOAD_BYTES } from '../../crypto/src/wire/relay-frames';
import { createApp } from './app';
import type { RelayConfig } from './config';
import { RelayCore, type Peer } from './core';
import { createLogEnforcer } from './log-enforcer';
import { createLogNotifier, NO_NOTIFIER } from './notify/log-notifier';
import type { Notifier } from './notify/types';
import type { Session } from './sessions';
import { RedisFanout } from './fanout/redis';
import { NO_FANOUT, type Fanout } from './fanout/types';
import { openPostgresStore } from './store/postgres';
import { openSqliteStore } from './store/sqlite';
import type { RelayStore } from './store/types';

/** Seconds a new socket has to send its AUTH frame. */
const AUTH_DEADLINE_MS = 10_000;
/** Consecutive rate-limited frames after which a socket is closed with CLOSE.RATE_LIMITED. */
const MAX_RATE_VIOLATIONS = 100;
/** The WebSocket endpoint path. */
export const WS_PATH = '/v1/ws';

export interface RunningRelay {
  readonly port: number;
  readonly host: string;
  readonly httpUrl: string;
  readonly wsUrl: string;
  readonly core: RelayCore;
  readonly primitives: Primitives;
  /** Graceful shutdown: stop accepting, close sockets (1001), finish writes, checkpoint the WAL. */
  close(): Promise<void>;
}

class WsPeer implements Peer {
  groups = new Map();
  lagging = false;
  laggingSince = 0;
  closed = false;
  resumed = false;
  violations = 0;
  constructor(
    readonly ws: WebSocket,
    readonly session: Session,
    readonly ip: string,
  ) {}
  send(frame: Uint8Array): void {
    if (this.ws.readyState === 1) this.ws.send(frame);
  }
  bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }
  close(code: number, reason: string): void {
    this.ws.close(code, reason);
    // A stalled peer never answers the close frame: cut it after a grace period.
    setTimeout(() => this.ws.terminate(), 1000).unref();
  }
}

/** Per-socket state kept on the ws object itself (one object per idle connection). */
interface SocketState {
  peer: WsPeer | null;
  ip: string;
  alive: boolean;
  authTimer: NodeJS.Timeout | null;
}
const STATE = Symbol('relayState');
type RelaySocket = WebSocket & { [STATE]: SocketState };

export interface StartOptions {
  /** Clock in milliseconds (tests move it to expire tokens and invites). */
  now?: () => number;
  /** Notifier instead of the one `config.notifier` names (tests capture the log notifier's lines). */
  notifier?: Notifier;
}

export async function startRelay(config: RelayConfig, opts: StartOptions = {}): Promise<RunningRelay> {
  const p = await loadDefaultPrimitives(nodeRandom);
  const store: RelayStore =
    config.store === 'postgres'
      ? await openPostgresStore({ url: config.databaseUrl, poolSize: config.pgPoolSize })
      : openSqliteStore({ file: join(config.dataDir, 'relay.sqlite'), synchronous: config.synchronous });
  let fanout: Fanout = NO_FANOUT;
  if (config.redisUrl) {
    fanout = new RedisFanout({ url: config.redisUrl, channel: config.redisChannel });
    try {
      await fanout.start();
    } catch (e) {
      await fanout.close();
      await store.close();
      throw e;
    }
  }
  const notifier = opts.notifier ?? (config.notifier === 'log' ? createLogNotifier(config.logLevel === 'silent' ? { write: () => {} } : {}) : NO_NOTIFIER);
  const core = new RelayCore({ config, store, fanout, notifier, enforcer: createLogEnforcer(p), ...(opts.now ? { now: opts.now } : {}) });
  core.start();
  const app = createApp(core, p);
  const server = createAdaptorServer({ fetch: app.fetch, hostname: config.host }) as Server;
  server.requestTimeout = 60_000;
  server.headersTimeout = 20_000;

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: Math.max(config.maxFrameBytes, 64),
    perMessageDeflate: false,
    clientTracking: false,
    skipUTF8Validation: true,
    // ws >= 8.18: bound fragments per message and buffered chunks per socket.
    maxFragments: 64,
    maxBufferedChunks: 1024,
  } as ConstructorParameters<typeof WebSocketServer>[0]);

  const sockets = new Set<RelaySocket>();
  // Authenticated sockets per identity (member ID hex), so one stolen or buggy device cannot
  // hold the whole connection budget. Counted at AUTH, released on close.
  const perIdentity = new Map<string, number>();
  let shuttingDown = false;

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const ip = req.socket.remoteAddress ?? 'unknown';
    const path = (req.url ?? '').split('?')[0];
    const reject = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
    };
    if (shuttingDown) return reject(503, 'Service Unavailable');
    if (path !== WS_PATH) return reject(404, 'Not Found');
    if (sockets.size >= config.maxConnections) return reject(503, 'Service Unavailable');
    if (!core.ipLimiter.take(ip, core.now())) return reject(429, 'Too Many Requests');
    socket.on('error', () => socket.destroy());
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws as RelaySocket, ip));
  });

  function onConnection(ws: RelaySocket, ip: string): void {
    const st: SocketState = { peer: null, ip, alive: true, authTimer: null };
    ws[STATE] = st;
    sockets.add(ws);
    st.authTimer = setTimeout(() => ws.close(CLOSE.AUTH_FAILED, 'auth timeout'), AUTH_DEADLINE_MS);
    ws.on('pong', onPong as (this: WebSocket) => void);
    ws.on('message', onMessage as (this: WebSocket, data: unknown, isBinary: boolean) => void);
    ws.on('error', onError as (this: WebSocket) => void);
    ws.on('close', onClose as (this: WebSocket) => void);
  }

  function onPong(this: RelaySocket): void {
    this[STATE].alive = true;
  }
  function onError(this: RelaySocket): void {
    this.terminate();
  }
  function onClose(this: RelaySocket): void {
    const st = this[STATE];
    if (st.authTimer) clearTimeout(st.authTimer);
    if (st.peer) {
      core.removePeer(st.peer);
      const key = st.peer.session.memberHex;
      const left = (perIdentity.get(key) ?? 1) - 1;
      if (left > 0) perIdentity.set(key, left);
      else perIdentity.delete(key);
    }
    sockets.delete(this);
  }

  function onMessage(this: RelaySocket, data: Buffer, isBinary: boolean): void {
    const ws = this;
    const st = ws[STATE];
    const now = core.now();
    if (!isBinary) return ws.close(CLOSE.PROTOCOL_ERROR, 'binary frames only');
    const peer = st.peer;
    if (!core.ipLimiter.take(st.ip, now)) {
      if (peer) {
        core.sendError(peer, 'RATE_LIMITED', 'too many frames from this address');
        if (++peer.violations > MAX_RATE_VIOLATIONS) ws.close(CLOSE.RATE_LIMITED, 'rate limited');
      } else ws.close(CLOSE.RATE_LIMITED, 'rate limited');
      return;
    }
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    let frame;
    try {
      frame = decodeClientFrame(bytes, MAX_FRAME_PAYLOAD_BYTES);
    } catch (e) {
      if (!peer) return ws.close(CLOSE.AUTH_FAILED, 'expected AUTH');
      core.sendError(peer, 'MALFORMED', isE2eeError(e) ? e.message.slice(0, 160) : 'malformed frame');
      return;
    }
    if (!peer) {
      if (frame.type !== FRAME.AUTH) return ws.close(CLOSE.AUTH_FAILED, 'expected AUTH');
      const s = core.sessions.lookup(frame.token, now);
      if (s === 'expired') return ws.close(CLOSE.TOKEN_EXPIRED, 'token expired');
      if (!s) return ws.close(CLOSE.AUTH_FAILED, 'bad token');
      const held = perIdentity.get(s.memberHex) ?? 0;
      if (held >= config.maxConnectionsPerIdentity) return ws.close(CLOSE.TOO_MANY_CONNECTIONS, 'too many connections for this identity');
      perIdentity.set(s.memberHex, held + 1);
      if (st.authTimer) clearTimeout(st.authTimer);
      st.authTimer = null;
      const np = new WsPeer(ws, s, st.ip);
      st.peer = np;
      core.addPeer(np);
      np.send(encodeRelayFrame({ type: FRAME.READY, memberId: s.memberId, heartbeatMs: config.heartbeatMs }));
      return;
    }
    if (now > peer.session.expiresAt) return ws.close(CLOSE.TOKEN_EXPIRED, 'token expired');
    switch (frame.type) {
      case FRAME.SEND:
        if (frame.ciphertext.length > config.maxMessageBytes) {
          return core.sendError(peer, 'TOO_LARGE', `message larger than ${config.maxMessageBytes} bytes`, frame.clientMessageId);
        }
        if (!core.sendLimiter.take(peer.session.memberHex, now)) {
          core.sendError(peer, 'RATE_LIMITED', 'too many messages: slow down', frame.clientMessageId);
          if (++peer.violations > MAX_RATE_VIOLATIONS) ws.close(CLOSE.RATE_LIMITED, 'rate limited');
          return;
        }
        peer.violations = 0;
        let header;
        try {
          header = decodeGroupMessageHeader(frame.ciphertext);
        } catch {
          return core.sendError(peer, 'MALFORMED', 'ciphertext is not a group message', frame.clientMessageId);
        }
        core.enqueueSend(peer, frame.clientMessageId, frame.groupId, header, frame.ciphertext);
        return;
      case FRAME.ACK:
        core.ack(peer, frame.groupId, frame.seq);
        return;
      case FRAME.RESUME:
        if (peer.resumed) return core.sendError(peer, 'CONFLICT', 'RESUME was already sent on this socket');
        void core.resume(peer, frame.cursors).catch(() => ws.close(1011, 'resume failed'));
        return;
      case FRAME.PING:
        peer.send(encodeRelayFrame({ type: FRAME.PONG, nonce: frame.nonce }));
        return;
      case FRAME.AUTH:
        core.sendError(peer, 'CONFLICT', 'already authenticated');
        return;
    }
  }

  const heartbeat = setInterval(() => {
    const now = core.now();
    for (const ws of sockets) {
      const st = ws[STATE];
      if (st.peer && now > st.peer.session.expiresAt) {
        ws.close(CLOSE.TOKEN_EXPIRED, 'token expired');
        continue;
      }
      if (!st.alive) {
        ws.close(CLOSE.HEARTBEAT_TIMEOUT, 'heartbeat timeout');
        setTimeout(() => ws.terminate(), 1000).unref();
        continue;
      }
      st.alive = false;
      ws.ping();
    }
  }, config.heartbeatMs);
  heartbeat.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;

  let closed: Promise<void> | null = null;
  return {
    port,
    host: config.host,
    httpUrl: `http://${hostForUrl}:${port}`,
    wsUrl: `ws://${hostForUrl}:${port}${WS_PATH}`,
    core,
    primitives: p,
    close() {
      if (closed) return closed;
      shuttingDown = true;
      closed = (async () => {
        clearInterval(heartbeat);
        const serverClosed = new Promise<void>((r) => server.close(() => r()));
        for (const ws of sockets) ws.close(CLOSE.GOING_AWAY, 'relay shutting down');
        // Give sockets a moment to drain their close frames, then cut the rest.
        const deadline = Date.now() + 2000;
        while (sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        for (const ws of sockets) ws.terminate();
        server.closeAllConnections?.();
        await serverClosed;
        await core.stop();
        await fanout.close();
        await store.close();
      })();
      return closed;
    },
  };
}
