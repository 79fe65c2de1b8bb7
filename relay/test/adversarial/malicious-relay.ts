// A malicious relay: a proxy on 127.0.0.1 in front of a real relay (HTTP and WebSocket)
// that the test programs to misbehave (docs/ADVERSARIAL.md "Malicious relay").
//
// Everything a compromised relay operator can do to the bytes it carries is reachable:
//   - HTTP: `onRequest` may answer a request itself (forged body, fake success) before it
//     reaches the real relay; `onResponse` may rewrite the real relay's answer.
//   - WebSocket, relay -> device: `toDevice` sees every frame the real relay sends to a
//     device and returns the frames to deliver instead: none (drop), the same one twice
//     (duplicate), a modified one, or frames later via `conn.deliver` (delay, reorder).
//   - WebSocket, device -> relay: `toRelay` likewise (swallow a send, fake its SEND_OK).
//   - `conn.deliver(frame)` injects any frame into a device's socket (forged or ghost log
//     entries, messages replayed from another group, another member's traffic).
//   - `keepServingAfterUpstreamClose`: when the real relay cuts a device off (a kicked
//     member), the proxy keeps the device's socket open and can go on feeding it.
// Connections are named by the device's member ID (from READY) so a test can target one
// member. The proxy itself never holds a key: it is exactly as strong as a real relay.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { bytesToHex } from '../../../crypto/src/bytes';
import { decodeRelayFrame, FRAME, type RelayFrame } from '../../../crypto/src/wire/relay-frames';

export interface ProxyRequest {
  method: string;
  /** Path and query, e.g. /v1/groups/<hex>/log. */
  path: string;
  /** The bearer token (hex), '' when absent. */
  token: string;
  body: Uint8Array;
}

export interface ProxyResponse {
  status: number;
  contentType: string;
  body: Uint8Array;
}

export interface ProxyConnection {
  /** Member ID (hex) from the READY frame; '' until then. */
  memberId: string;
  /** Session token (hex) from the AUTH frame. */
  token: string;
  /** Pushes a frame to the device as if the relay had sent it. */
  deliver(frame: Uint8Array): void;
  /** Sends a frame to the real relay as if the device had sent it. */
  forward(frame: Uint8Array): void;
  /** The real relay closed this device's upstream socket. */
  upstreamClosed: boolean;
  /** Closes the device's socket. */
  close(code?: number): void;
}

export interface MaliciousRelayControls {
  onRequest?: (req: ProxyRequest) => ProxyResponse | undefined | Promise<ProxyResponse | undefined>;
  onResponse?: (req: ProxyRequest, res: ProxyResponse) => ProxyResponse | Promise<ProxyResponse>;
  /** Frames to deliver for one relay -> device frame ([] drops it). Default: [frame]. */
  toDevice?: (conn: ProxyConnection, frame: Uint8Array, decoded: RelayFrame) => Uint8Array[];
  /** Frames to forward for one device -> relay frame ([] swallows it). Default: [frame]. */
  toRelay?: (conn: ProxyConnection, frame: Uint8Array) => Uint8Array[];
  keepServingAfterUpstreamClose?: boolean;
}

export interface MaliciousRelay {
  httpUrl: string;
  wsUrl: string;
  /** The controls; replace fields at any time (an honest proxy when all are unset). */
  controls: MaliciousRelayControls;
  /** Every device connection ever opened, in order. */
  connections: ProxyConnection[];
  /** The open connection of a member (hex member ID), the latest one. */
  connectionOf(memberIdHex: string): ProxyConnection | undefined;
  /** Every relay -> device frame seen (decoded), for building replays. */
  seen: { to: string; frame: RelayFrame; raw: Uint8Array }[];
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

/** Starts the proxy in front of the relay at `upstreamHttp` / `upstreamWs`. */
export async function startMaliciousRelay(upstreamHttp: string, upstreamWs: string, controls: MaliciousRelayControls = {}): Promise<MaliciousRelay> {
  const connections: ProxyConnection[] = [];
  const seen: MaliciousRelay['seen'] = [];
  const sockets = new Set<WebSocket>();

  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const auth = req.headers.authorization ?? '';
      const preq: ProxyRequest = { method: req.method ?? 'GET', path: req.url ?? '/', token: auth.startsWith('Bearer ') ? auth.slice(7) : '', body };
      let out = await relay.controls.onRequest?.(preq);
      if (!out) {
        const headers: Record<string, string> = {};
        if (auth) headers.authorization = auth;
        if (req.headers['content-type']) headers['content-type'] = req.headers['content-type'];
        const r = await fetch(upstreamHttp + preq.path, {
          method: preq.method,
          headers,
          body: preq.method === 'GET' || preq.method === 'HEAD' ? undefined : (body as unknown as string),
        });
        out = { status: r.status, contentType: r.headers.get('content-type') ?? '', body: new Uint8Array(await r.arrayBuffer()) };
        if (relay.controls.onResponse) out = await relay.controls.onResponse(preq, out);
      }
      res.writeHead(out.status, out.contentType ? { 'content-type': out.contentType } : {});
      res.end(Buffer.from(out.body));
    })().catch((e: unknown) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy error: ${e instanceof Error ? e.message : String(e)}`);
    });
  });

  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (down) => {
      sockets.add(down);
      const up = new WebSocket(upstreamWs, { perMessageDeflate: false });
      sockets.add(up);
      const pendingUp: Uint8Array[] = [];
      const conn: ProxyConnection = {
        memberId: '',
        token: '',
        upstreamClosed: false,
        deliver(frame) {
          if (down.readyState === WebSocket.OPEN) down.send(frame);
        },
        forward(frame) {
          if (up.readyState === WebSocket.OPEN) up.send(frame);
          else if (up.readyState === WebSocket.CONNECTING) pendingUp.push(frame);
        },
        close(code = 1000) {
          down.close(code);
        },
      };
      connections.push(conn);
      up.on('open', () => {
        for (const f of pendingUp.splice(0)) up.send(f);
      });
      up.on('message', (data: Buffer) => {
        const raw = new Uint8Array(data);
        let decoded: RelayFrame;
        try {
          decoded = decodeRelayFrame(raw);
        } catch {
          conn.deliver(raw);
          return;
        }
        if (decoded.type === FRAME.READY) conn.memberId = bytesToHex(decoded.memberId);
        seen.push({ to: conn.memberId, frame: decoded, raw });
        const out = relay.controls.toDevice ? relay.controls.toDevice(conn, raw, decoded) : [raw];
        for (const f of out) conn.deliver(f);
      });
      up.on('close', (code) => {
        conn.upstreamClosed = true;
        if (!relay.controls.keepServingAfterUpstreamClose && down.readyState === WebSocket.OPEN) down.close(code >= 1000 && code < 5000 && code !== 1005 && code !== 1006 ? code : 1011);
      });
      up.on('error', () => undefined);
      down.on('message', (data: Buffer) => {
        const raw = new Uint8Array(data);
        if (raw[0] === FRAME.AUTH && raw.length === 33) conn.token = bytesToHex(raw.subarray(1));
        const out = relay.controls.toRelay ? relay.controls.toRelay(conn, raw) : [raw];
        for (const f of out) conn.forward(f);
      });
      down.on('close', () => up.close());
      down.on('error', () => undefined);
    });
  });

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const relay: MaliciousRelay = {
    httpUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/v1/ws`,
    controls,
    connections,
    seen,
    connectionOf(memberIdHex) {
      for (let i = connections.length - 1; i >= 0; i--) if (connections[i]!.memberId === memberIdHex) return connections[i];
      return undefined;
    },
    async close() {
      for (const s of sockets) s.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  return relay;
}
