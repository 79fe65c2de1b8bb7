// The Node platform on real loopback sockets: HTTP timeout, refused connection, response
// size cap; WebSocket binary round trip, a text frame from the server, send after close.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { nodePlatform } from './node-platform';

let server: Server;
let wss: WebSocketServer;
let base: string;
const platform = nodePlatform();

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/slow') return; // never answers
    if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(Buffer.alloc(5000, 1));
      return;
    }
    if (req.url === '/chunked-big') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }); // no content-length
      let n = 0;
      const t = setInterval(() => {
        res.write(Buffer.alloc(1000, 2));
        if (++n === 10) {
          clearInterval(t);
          res.end();
        }
      }, 1);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(201, { 'content-type': 'Application/Octet-Stream' });
      res.end(Buffer.concat([Buffer.from(req.method ?? ''), Buffer.from([0]), ...chunks]));
    });
  });
  wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => {
    if (req.url === '/text') ws.send('hello');
    ws.on('message', (data: Buffer) => ws.send(Buffer.concat([Buffer.from([0xee]), data])));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const c of wss.clients) c.terminate();
  wss.close();
  await new Promise((r) => server.close(r));
});

describe('node platform', () => {
  it('HTTP: sends method and body, answers status, lower-case content type and bytes', async () => {
    const res = await platform.request({ method: 'PUT', url: `http://${base}/echo`, headers: { 'content-type': 'application/octet-stream' }, body: Uint8Array.of(1, 2, 3), timeoutMs: 2000 });
    expect(res.status).toBe(201);
    expect(res.contentType).toBe('application/octet-stream');
    expect([...res.body]).toEqual([...Buffer.from('PUT'), 0, 1, 2, 3]);
  });

  it('HTTP: a request without an answer rejects with E2E_ERR_NET_TIMEOUT', async () => {
    const started = Date.now();
    await expect(platform.request({ method: 'GET', url: `http://${base}/slow`, headers: {}, timeoutMs: 150 })).rejects.toMatchObject({ code: 'E2E_ERR_NET_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('HTTP: a refused connection rejects with E2E_ERR_NET_FAILED without the URL in the message', async () => {
    const e = await platform.request({ method: 'GET', url: 'http://127.0.0.1:1/v1/groups/abcdef/log', headers: {}, timeoutMs: 2000 }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'E2E_ERR_NET_FAILED' });
    expect((e as Error).message).not.toContain('abcdef');
  });

  it('HTTP: a body over maxResponseBytes is refused (declared or streamed)', async () => {
    for (const path of ['/big', '/chunked-big']) {
      await expect(platform.request({ method: 'GET', url: `http://${base}${path}`, headers: {}, timeoutMs: 2000, maxResponseBytes: 4096 })).rejects.toMatchObject({ code: 'E2E_ERR_NET_BAD_RESPONSE' });
    }
    expect((await platform.request({ method: 'GET', url: `http://${base}/chunked-big`, headers: {}, timeoutMs: 2000, maxResponseBytes: 10_000 })).body.length).toBe(10_000);
  });

  it('WebSocket: binary round trip, then close reported once; send after close throws E2E_ERR_NET_CLOSED', async () => {
    const got: Uint8Array[] = [];
    const closes: number[] = [];
    let opened = false;
    const s = platform.openSocket(`ws://${base}/`, {
      onOpen: () => (opened = true),
      onMessage: (d) => got.push(d.slice()),
      onClose: (code) => closes.push(code),
    });
    expect(() => s.send(Uint8Array.of(1))).toThrow(expect.objectContaining({ code: 'E2E_ERR_NET_CLOSED' }));
    await waitFor(() => opened);
    s.send(Uint8Array.of(5, 6));
    await waitFor(() => got.length === 1);
    expect([...got[0]!]).toEqual([0xee, 5, 6]);
    s.close(1000, 'bye');
    await waitFor(() => closes.length === 1);
    expect(closes).toEqual([1000]);
    expect(() => s.send(Uint8Array.of(1))).toThrow(expect.objectContaining({ code: 'E2E_ERR_NET_CLOSED' }));
  });

  it('WebSocket: a text frame is a protocol error (1002); a refused connection arrives as onClose', async () => {
    const closes: number[] = [];
    platform.openSocket(`ws://${base}/text`, { onOpen: () => {}, onMessage: () => {}, onClose: (c) => closes.push(c) });
    await waitFor(() => closes.length === 1);
    expect(closes).toEqual([1002]);
    const refused: number[] = [];
    platform.openSocket('ws://127.0.0.1:1/v1/ws', { onOpen: () => {}, onMessage: () => {}, onClose: (c) => refused.push(c) });
    await waitFor(() => refused.length === 1);
    expect(refused).toEqual([1006]);
    expect(() => platform.openSocket('http://x/', { onOpen: () => {}, onMessage: () => {}, onClose: () => {} })).toThrow(TypeError);
  });
});

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}
