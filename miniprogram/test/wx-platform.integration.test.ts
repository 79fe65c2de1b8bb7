// The SDK's Platform on wx (miniprogram/lib/wx-platform.ts), bundled into lib/sdk.js and run
// inside the logic-layer sandbox, whose wx.connectSocket / wx.request reach real servers on
// 127.0.0.1. What the relay connection relies on: exact binary frames, one onClose per
// socket, WeChat's socket cap, typed network errors, timeouts that always fire.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import type { Platform, PlatformSocket } from '../../client/src/net/types';
import { sdkBundle } from './bundle';
import { createLogicLayerSandbox, type LogicLayerSandbox } from './sandbox';

interface SdkExports {
  wxPlatform(wx: unknown, options?: Record<string, unknown>): Platform;
  MAX_WX_SOCKETS: number;
}

let bundleCode = '';
let http: Server;
let httpUrl = '';
let wss: WebSocketServer;
let wsUrl = '';
/** What the HTTP server saw last. */
let seen: { method: string; url: string; headers: IncomingMessage['headers']; body: Buffer } | null = null;
/** What the WebSocket server does with each connection (set per test). */
let onConnection: (socket: ServerSocket, url: string) => void = () => undefined;
const serverSockets = new Set<ServerSocket>();
const open: LogicLayerSandbox[] = [];

function route(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
  if (req.url === '/hang') return; // never answers
  if (req.url === '/empty') {
    res.writeHead(204);
    res.end();
    return;
  }
  if (req.url === '/json') {
    res.writeHead(409, { 'Content-Type': 'Application/JSON; charset=utf-8' });
    res.end('{"error":"HEAD_MISMATCH"}');
    return;
  }
  // echo: the body reversed, so a test sees the response is not the request
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  res.end(Buffer.from(body).reverse());
}

beforeAll(async () => {
  bundleCode = (await sdkBundle()).code;
  http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => route(req, res, Buffer.concat(chunks)));
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  wsUrl = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  wss.on('connection', (socket, req) => {
    serverSockets.add(socket);
    socket.on('close', () => serverSockets.delete(socket));
    onConnection(socket, req.url ?? '');
  });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  for (const s of serverSockets) s.terminate();
  onConnection = () => undefined;
  seen = null;
});
afterAll(async () => {
  http.closeAllConnections();
  await new Promise<void>((r) => http.close(() => r()));
  await new Promise<void>((r) => wss.close(() => r()));
});

function setup(options?: Record<string, unknown>): { s: LogicLayerSandbox; platform: Platform; bytes(values: number[], offset?: number): Uint8Array } {
  const s = createLogicLayerSandbox();
  open.push(s);
  const sdk = s.loadModule<SdkExports>(bundleCode);
  const platform = sdk.wxPlatform(s.context.wx, options);
  const SandboxUint8Array = s.run<Uint8ArrayConstructor>('Uint8Array');
  /** Bytes of the sandbox's realm, optionally as a view at an offset into a larger buffer. */
  const bytes = (values: number[], offset = 0): Uint8Array => {
    const whole = new SandboxUint8Array(values.length + offset + 3).fill(0xee);
    whole.set(values, offset);
    return whole.subarray(offset, offset + values.length);
  };
  return { s, platform, bytes };
}

interface SocketLog {
  events: string[];
  opened: Promise<void>;
  closed: Promise<{ code: number; reason: string }>;
  messages: number[][];
}

function openLogged(platform: Platform, url = wsUrl): { socket: PlatformSocket; log: SocketLog } {
  let opened!: () => void;
  let closed!: (v: { code: number; reason: string }) => void;
  const log: SocketLog = {
    events: [],
    messages: [],
    opened: new Promise((r) => (opened = r)),
    closed: new Promise((r) => (closed = r)),
  };
  const socket = platform.openSocket(url, {
    onOpen: () => {
      log.events.push('open');
      opened();
    },
    onMessage: (data) => {
      log.events.push('message');
      log.messages.push([...data]);
    },
    onClose: (code, reason) => {
      log.events.push(`close:${code}`);
      closed({ code, reason });
    },
  });
  return { socket, log };
}

async function expectRejectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e as { code?: string; message?: string },
  );
  expect(error, 'expected a rejection').not.toBeNull();
  expect(error?.code).toBe(code);
}

const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

describe('wxPlatform sockets', () => {
  it('sends exactly the bytes of a view (not its whole buffer) and delivers binary frames as bytes', async () => {
    const { platform, bytes } = setup();
    const received: Buffer[] = [];
    onConnection = (socket) =>
      socket.on('message', (data: Buffer, isBinary) => {
        received.push(data);
        expect(isBinary).toBe(true);
        socket.send(Buffer.from([9, 8, 7]), { binary: true });
      });
    const { socket, log } = openLogged(platform);
    await log.opened;
    socket.send(bytes([1, 2, 3, 4], 5));
    while (log.messages.length === 0) await tick(5);
    expect(received.map((b) => [...b])).toEqual([[1, 2, 3, 4]]);
    expect(log.messages).toEqual([[9, 8, 7]]);
    socket.close(1000, 'bye');
    expect(await log.closed).toEqual({ code: 1000, reason: 'bye' });
    await tick();
    expect(log.events).toEqual(['open', 'message', 'close:1000']);
  });

  it('closes on a text frame (1003), reporting onClose once, and refuses sends afterwards', async () => {
    const { platform, bytes } = setup();
    const serverClose = new Promise<number>((resolve) => {
      onConnection = (socket) => {
        socket.on('close', (code) => resolve(code));
        socket.send('{"not":"binary"}');
      };
    });
    const { socket, log } = openLogged(platform);
    expect((await log.closed).code).toBe(1003);
    expect(await serverClose).toBe(1003);
    await tick();
    expect(log.events).toEqual(['open', 'close:1003']);
    expect(() => socket.send(bytes([1]))).toThrow(expect.objectContaining({ code: 'E2E_ERR_NET_CLOSED' }));
  });

  it('reports the relay close code (e.g. 4401) and never a second onClose', async () => {
    const { platform } = setup();
    onConnection = (socket) => socket.close(4401, 'auth failed');
    const { log } = openLogged(platform);
    const closed = await log.closed;
    expect(closed.code).toBe(4401);
    await tick(50);
    expect(log.events.filter((e) => e.startsWith('close'))).toHaveLength(1);
  });

  it('a connect failure arrives as one onClose (1006) without onOpen', async () => {
    const { platform } = setup();
    const port = (wss.address() as AddressInfo).port;
    const { log } = openLogged(platform, `ws://127.0.0.1:${port + 1 === 65536 ? 1 : port + 1}/nothing`);
    expect((await log.closed).code).toBe(1006);
    await tick(50);
    expect(log.events).toEqual(['close:1006']);
  });

  it('a host outside the domain list fails as onClose, and send before open is refused', async () => {
    const { platform, bytes } = setup();
    const { socket, log } = openLogged(platform, 'wss://relay.example.com/v1/ws');
    expect(() => socket.send(bytes([1]))).toThrow(expect.objectContaining({ code: 'E2E_ERR_NET_CLOSED' }));
    expect((await log.closed).code).toBe(1006);
    expect(log.events).toEqual(['close:1006']);
  });

  it('keeps to WeChat\'s 5 sockets: the sixth fails without a connect, a closed one frees its slot', async () => {
    const { s, platform } = setup();
    const sockets = Array.from({ length: 5 }, () => openLogged(platform));
    await Promise.all(sockets.map((x) => x.log.opened));
    expect(s.stats.openSockets).toBe(5);
    const sixth = openLogged(platform);
    expect((await sixth.log.closed).code).toBe(1006);
    expect(sixth.log.events).toEqual(['close:1006']);
    expect(s.stats.openSockets).toBe(5);
    sockets[0]!.socket.close();
    await sockets[0]!.log.closed;
    while (s.stats.openSockets > 4) await tick(5); // WeChat frees the slot once the close completes
    const again = openLogged(platform);
    await again.log.opened;
    expect(again.log.events).toEqual(['open']);
  });

  it('the adapter itself holds the cap (a lower cap refuses before WeChat would)', async () => {
    const { s, platform } = setup({ maxSockets: 2 });
    const two = [openLogged(platform), openLogged(platform)];
    await Promise.all(two.map((x) => x.log.opened));
    const third = openLogged(platform);
    expect((await third.log.closed).code).toBe(1006);
    expect(s.stats.openSockets).toBe(2);
  });

  it('counts bytes handed to WeChat but not yet written as bufferedAmount', async () => {
    const { platform, bytes } = setup();
    const got: number[] = [];
    onConnection = (socket) => socket.on('message', (d: Buffer) => got.push(d.length));
    const { socket, log } = openLogged(platform);
    await log.opened;
    expect(socket.bufferedAmount).toBe(0);
    socket.send(bytes(new Array(1000).fill(1)));
    expect(socket.bufferedAmount).toBe(1000);
    while (got.length === 0) await tick(5);
    await tick();
    expect(socket.bufferedAmount).toBe(0);
  });

  it('rejects caller bugs: a non-ws URL, missing handlers, a non-byte payload', async () => {
    const { platform } = setup();
    expect(() => platform.openSocket('http://127.0.0.1/ws', { onOpen() {}, onMessage() {}, onClose() {} })).toThrow(expect.objectContaining({ name: 'RangeError' }));
    expect(() => platform.openSocket(wsUrl, {} as never)).toThrow(expect.objectContaining({ name: 'TypeError' }));
    const { socket, log } = openLogged(platform);
    await log.opened;
    expect(() => socket.send([1, 2] as never)).toThrow(expect.objectContaining({ name: 'TypeError' }));
  });
});

describe('wxPlatform requests', () => {
  it('POSTs the exact bytes of a view and answers the response as bytes with a lower-case content type', async () => {
    const { platform, bytes } = setup();
    const res = await platform.request({ method: 'POST', url: `${httpUrl}/echo`, headers: { authorization: 'Bearer abc' }, body: bytes([1, 2, 3], 7), timeoutMs: 5000 });
    expect(seen?.method).toBe('POST');
    expect([...seen!.body]).toEqual([1, 2, 3]);
    expect(seen?.headers.authorization).toBe('Bearer abc');
    expect(seen?.headers['content-type']).toBe('application/octet-stream');
    expect(res.status).toBe(200);
    expect(res.contentType).toBe('application/octet-stream');
    expect([...res.body]).toEqual([3, 2, 1]);
  });

  it('passes refusals through as status + body (the relay API decodes them), for every method', async () => {
    const { platform } = setup();
    const res = await platform.request({ method: 'PUT', url: `${httpUrl}/json`, headers: {}, timeoutMs: 5000 });
    expect(res.status).toBe(409);
    expect(res.contentType).toBe('application/json; charset=utf-8');
    expect(Buffer.from(res.body).toString('utf8')).toBe('{"error":"HEAD_MISMATCH"}');
    const empty = await platform.request({ method: 'DELETE', url: `${httpUrl}/empty`, headers: {}, timeoutMs: 5000 });
    expect(empty.status).toBe(204);
    expect(empty.body.length).toBe(0);
    const get = await platform.request({ method: 'GET', url: `${httpUrl}/echo?x=1`, headers: {}, timeoutMs: 5000 });
    expect(seen?.method).toBe('GET');
    expect(seen?.url).toBe('/echo?x=1');
    expect(get.status).toBe(200);
  });

  it('a server that never answers ends in E2E_ERR_NET_TIMEOUT after timeoutMs', async () => {
    const { platform } = setup();
    const started = Date.now();
    await expectRejectCode(platform.request({ method: 'GET', url: `${httpUrl}/hang`, headers: {}, timeoutMs: 300 }), 'E2E_ERR_NET_TIMEOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('network failures are E2E_ERR_NET_FAILED and name neither the URL nor the token', async () => {
    const { platform } = setup();
    const port = (http.address() as AddressInfo).port;
    const failures = [
      platform.request({ method: 'GET', url: `http://127.0.0.1:${port === 65535 ? 1 : port + 1}/secret-path`, headers: { authorization: 'Bearer t0ken' }, timeoutMs: 5000 }),
      platform.request({ method: 'GET', url: 'https://relay.example.com/secret-path', headers: {}, timeoutMs: 5000 }),
    ];
    const settled = failures.map((f) => f.then(() => null, (e: unknown) => e as { code: string; message: string }));
    for (const outcome of settled) {
      const error = await outcome;
      expect(error?.code).toBe('E2E_ERR_NET_FAILED');
      expect(error?.message).not.toMatch(/secret-path|t0ken|127\.0\.0\.1|example/);
    }
  });

  it('rejects caller bugs before anything is sent: bad URL, method, timeout, body type and size', async () => {
    const { platform, bytes } = setup({ maxRequestBodyBytes: 16 });
    const base = { method: 'POST' as const, url: `${httpUrl}/echo`, headers: {}, timeoutMs: 1000 };
    await expect(platform.request({ ...base, url: 'ftp://127.0.0.1/x' })).rejects.toThrow(expect.objectContaining({ name: 'RangeError' }));
    await expect(platform.request({ ...base, method: 'PATCH' as never })).rejects.toThrow(expect.objectContaining({ name: 'RangeError' }));
    await expect(platform.request({ ...base, timeoutMs: 0 })).rejects.toThrow(expect.objectContaining({ name: 'RangeError' }));
    await expect(platform.request({ ...base, body: 'text' as never })).rejects.toThrow(expect.objectContaining({ name: 'TypeError' }));
    await expect(platform.request({ ...base, body: bytes(new Array(17).fill(0)) })).rejects.toThrow(/at most 16 bytes/);
    expect(seen).toBeNull();
  });
});

describe('wxPlatform timers and clock', () => {
  it('runs and cancels timers through the logic layer and reads the clock', async () => {
    const { platform } = setup();
    const fired: string[] = [];
    platform.setTimer(() => fired.push('a'), 5);
    const b = platform.setTimer(() => fired.push('b'), 5);
    platform.clearTimer(b);
    await tick(40);
    expect(fired).toEqual(['a']);
    expect(Math.abs(platform.now() - Date.now())).toBeLessThan(1000);
    expect(platform.name).toBe('wx');
  });
});
