// The connection against a scripted relay on a loopback WebSocket (real sockets, frames
// from the wire module): the failure paths the real relay does not produce on demand —
// a peer that stops answering PINGs, repeated 4401, malformed frames, unknown error codes,
// sends that are never answered — and that no token appears in any log line.
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { bytesToHex } from '../../../crypto/src/bytes';
import { decodeClientFrame, encodeRelayFrame, FRAME, type ClientFrame } from '../../../crypto/src/wire/relay-frames';
import { createRelayConnection, type ManagedRelayConnection } from './connection';
import { nodePlatform } from './node-platform';
import type { RelayApi, Session } from './types';

interface Script {
  onAuth?(ws: WebSocket, n: number): void;
  onFrame?(ws: WebSocket, f: ClientFrame): void;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function scriptedRelay(script: Script) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  let auths = 0;
  const frames: ClientFrame[] = [];
  wss.on('connection', (ws) => {
    ws.on('message', (data: Buffer) => {
      const f = decodeClientFrame(new Uint8Array(data));
      frames.push(f);
      if (f.type === FRAME.AUTH) {
        auths++;
        if (script.onAuth) script.onAuth(ws, auths);
        else ready(ws, 30_000);
        return;
      }
      if (f.type === FRAME.PING && !script.onFrame) return ws.send(encodeRelayFrame({ type: FRAME.PONG, nonce: f.nonce }));
      script.onFrame?.(ws, f);
    });
  });
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  );
  return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/v1/ws`, auths: () => auths, frames };
}

function ready(ws: WebSocket, heartbeatMs: number): void {
  ws.send(encodeRelayFrame({ type: FRAME.READY, memberId: new Uint8Array(32).fill(1), heartbeatMs }));
}

const TOKEN = new Uint8Array(32).fill(0x5c);

function connect(url: string, extra: Partial<Parameters<typeof createRelayConnection>[0]> = {}) {
  let logins = 0;
  const lines: string[] = [];
  const api = {
    login: async (): Promise<Session> => {
      logins++;
      return { token: TOKEN, memberId: new Uint8Array(32).fill(1), expiresAt: Date.now() + 3600_000, lifetimeMs: 3600_000 };
    },
  } as unknown as RelayApi;
  const conn: ManagedRelayConnection = createRelayConnection({
    platform: nodePlatform(),
    api,
    wsUrl: url,
    identityKey: new Uint8Array(32).fill(9),
    sign: () => new Uint8Array(64),
    backoff: { minMs: 40, maxMs: 200 },
    log: (l) => lines.push(l),
    ...extra,
  });
  const details: { state: string; closeCode?: number; retryInMs?: number }[] = [];
  conn.on('state', (state, d) => details.push({ state, ...d }));
  cleanups.push(() => conn.stop());
  return { conn, details, lines, logins: () => logins };
}

async function until(cond: () => boolean, ms = 4000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('relay connection failure paths', () => {
  it('PINGs at READY heartbeatMs and drops a peer that stops answering, then reconnects', async () => {
    let answer = true;
    const relay = await scriptedRelay({
      onAuth: (ws) => ready(ws, 100),
      onFrame: (ws, f) => {
        if (f.type === FRAME.PING && answer) ws.send(encodeRelayFrame({ type: FRAME.PONG, nonce: f.nonce }));
      },
    });
    const { conn, details } = connect(relay.url);
    conn.start(() => []);
    await conn.whenReady(2000);
    await new Promise((r) => setTimeout(r, 350));
    expect(conn.state).toBe('ready'); // answered PINGs keep it up
    expect(relay.frames.filter((f) => f.type === FRAME.PING).length).toBeGreaterThanOrEqual(2);
    answer = false;
    await until(() => details.some((d) => d.closeCode === 4408), 2000, 'heartbeat drop');
    answer = true;
    await until(() => relay.auths() >= 2 && conn.state === 'ready', 3000, 'reconnect');
    // Every connection sent AUTH then RESUME. The client is 'ready' as soon as READY arrives; its
    // RESUME may still be on the way to the scripted relay, so wait for it before counting.
    const resumes = () => relay.frames.filter((f) => f.type === FRAME.RESUME).length;
    await until(() => resumes() >= relay.auths(), 2000, 'a RESUME on every connection');
    expect(resumes()).toBe(relay.auths());
  });

  it('4401: logs in again once at once, then backs off (and logs in again each time)', async () => {
    const relay = await scriptedRelay({ onAuth: (ws) => ws.close(4401, 'bad token') });
    const { conn, details, logins } = connect(relay.url);
    conn.start(() => []);
    await until(() => details.filter((d) => d.closeCode === 4401).length >= 3, 4000, 'three 4401');
    const retries = details.filter((d) => d.closeCode === 4401).map((d) => d.retryInMs!);
    expect(retries[0]).toBe(0);
    expect(retries[1]).toBeGreaterThanOrEqual(20); // backoff min 40 ms, jittered to 50..100 %
    expect(retries[2]).toBeGreaterThanOrEqual(retries[1]! * 0.5);
    expect(logins()).toBeGreaterThanOrEqual(3);
    await conn.stop();
  });

  it('backoff grows to the cap and stays within it', async () => {
    const relay = await scriptedRelay({ onAuth: (ws) => ws.close(4409, 'too slow') });
    const { conn, details } = connect(relay.url);
    conn.start(() => []);
    await until(() => details.filter((d) => d.retryInMs !== undefined).length >= 6, 5000, 'six retries');
    const delays = details.filter((d) => d.retryInMs !== undefined).map((d) => d.retryInMs!);
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(20);
      expect(d).toBeLessThanOrEqual(200);
    }
    expect(Math.max(...delays.slice(3))).toBeGreaterThan(Math.max(...delays.slice(0, 1)));
  });

  it('a frame that does not decode drops the socket and reconnects; pending sends reject NET_CLOSED', async () => {
    let bad = true;
    const relay = await scriptedRelay({
      onFrame: (ws, f) => {
        if (f.type === FRAME.SEND && bad) {
          bad = false;
          ws.send(Uint8Array.of(0x83, 0xff)); // a MESSAGE cut short
        }
      },
    });
    const { conn } = connect(relay.url);
    conn.start(() => []);
    await conn.whenReady(2000);
    const e = await conn.send(Uint8Array.of(1), new Uint8Array(16).fill(3), Uint8Array.of(1)).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'E2E_ERR_NET_CLOSED' });
    await until(() => relay.auths() === 2 && conn.state === 'ready', 3000, 'reconnect');
  });

  it('ERROR frames: a known code rejects its send with the relay name; an unknown code is NET_BAD_RESPONSE; no answer is NET_TIMEOUT', async () => {
    const relay = await scriptedRelay({
      onFrame: (ws, f) => {
        if (f.type !== FRAME.SEND) return;
        const tag = f.clientMessageId[0];
        if (tag === 1) ws.send(encodeRelayFrame({ type: FRAME.ERROR, code: 10, clientMessageId: f.clientMessageId, detail: 'muted' }));
        if (tag === 2) ws.send(encodeRelayFrame({ type: FRAME.ERROR, code: 999, clientMessageId: f.clientMessageId, detail: '' }));
        if (tag === 4) ws.send(encodeRelayFrame({ type: FRAME.SEND_OK, clientMessageId: f.clientMessageId, groupId: f.groupId, seq: 12, duplicate: false }));
      },
    });
    const { conn } = connect(relay.url, { sendTimeoutMs: 150 });
    conn.start(() => []);
    await conn.whenReady(2000);
    const id = (t: number) => new Uint8Array(16).fill(t);
    await expect(conn.send(Uint8Array.of(1), id(1), Uint8Array.of(1))).rejects.toMatchObject({ code: 'E2E_ERR_RELAY_FORBIDDEN', relayError: 'FORBIDDEN', status: 0 });
    await expect(conn.send(Uint8Array.of(1), id(2), Uint8Array.of(1))).rejects.toMatchObject({ code: 'E2E_ERR_NET_BAD_RESPONSE' });
    await expect(conn.send(Uint8Array.of(1), id(3), Uint8Array.of(1))).rejects.toMatchObject({ code: 'E2E_ERR_NET_TIMEOUT' });
    // Two sends of the same ID while pending share one frame and one answer.
    const before = relay.frames.filter((f) => f.type === FRAME.SEND).length;
    const [a, b] = await Promise.all([conn.send(Uint8Array.of(1), id(4), Uint8Array.of(1)), conn.send(Uint8Array.of(1), id(4), Uint8Array.of(1))]);
    expect(a).toEqual({ seq: 12, duplicate: false });
    expect(b).toBe(a);
    expect(relay.frames.filter((f) => f.type === FRAME.SEND).length).toBe(before + 1);
    expect(conn.state).toBe('ready');
  });

  it('dispatches pushed frames in order; a throwing handler does not stop the others', async () => {
    const relay = await scriptedRelay({
      onFrame: (ws, f) => {
        if (f.type !== FRAME.RESUME) return;
        const g = Uint8Array.of(7);
        ws.send(encodeRelayFrame({ type: FRAME.LOG_ENTRY, groupId: g, index: 0, entry: Uint8Array.of(1), envelope: new Uint8Array(0) }));
        for (let seq = 1; seq <= 50; seq++) {
          ws.send(encodeRelayFrame({ type: FRAME.MESSAGE, groupId: g, seq, sender: new Uint8Array(32), epoch: 0, sentAt: seq, ciphertext: Uint8Array.of(seq) }));
        }
        ws.send(encodeRelayFrame({ type: FRAME.CAUGHT_UP, groupId: g, messageSeq: 50, logLength: 1 }));
        ws.send(encodeRelayFrame({ type: FRAME.JOIN_REQUEST, groupId: g, requestId: 4 }));
        ws.send(encodeRelayFrame({ type: FRAME.REMOVED, groupId: g }));
      },
    });
    const { conn } = connect(relay.url);
    const seen: string[] = [];
    conn.on('message', () => {
      throw new Error('handler bug');
    });
    conn.on('message', (m) => seen.push(`m${m.seq}`));
    conn.on('logEntry', (e) => seen.push(`l${e.index}`));
    conn.on('caughtUp', (c) => seen.push(`c${c.messageSeq}`));
    conn.on('joinRequest', (r) => seen.push(`j${r.requestId}`));
    const off = conn.on('removed', () => seen.push('r'));
    conn.start(() => [{ groupId: Uint8Array.of(7), messageAfter: 0, logFrom: 0 }]);
    await until(() => seen.includes('r'), 3000, 'REMOVED');
    expect(seen).toEqual(['l0', ...Array.from({ length: 50 }, (_, i) => `m${i + 1}`), 'c50', 'j4', 'r']);
    off();
    const resume = relay.frames.find((f) => f.type === FRAME.RESUME);
    expect(resume).toMatchObject({ cursors: [{ messageAfter: 0, logFrom: 0 }] });
  });

  it('never writes the token into a log line or an error message', async () => {
    const relay = await scriptedRelay({ onAuth: (ws, n) => (n === 1 ? ws.close(4403, 'expired') : ready(ws, 30_000)) });
    const { conn, lines } = connect(relay.url, { sendTimeoutMs: 50 });
    conn.start(() => []);
    await until(() => relay.auths() === 2 && conn.state === 'ready', 3000, 'ready after 4403');
    const e = (await conn.send(Uint8Array.of(1), new Uint8Array(16).fill(1), Uint8Array.of(1)).catch((x: unknown) => x)) as Error;
    await conn.stop();
    const hex = bytesToHex(TOKEN);
    expect(lines.length).toBeGreaterThan(0);
    for (const text of [...lines, e.message, String(e.stack)]) {
      expect(text).not.toContain(hex);
      expect(text.toLowerCase()).not.toContain(hex.slice(0, 16));
    }
  });
});

describe('relay connection re-login bounds', () => {
  it('4403 on every fresh token: one immediate re-login, then backoff', async () => {
    const relay = await scriptedRelay({ onAuth: (ws) => ws.close(4403, 'expired') });
    const { conn, details } = connect(relay.url);
    conn.start(() => []);
    await until(() => details.filter((d) => d.closeCode === 4403).length >= 3, 4000, 'three 4403');
    const retries = details.filter((d) => d.closeCode === 4403).map((d) => d.retryInMs!);
    expect(retries[0]).toBe(0);
    expect(retries[1]).toBeGreaterThan(0);
    expect(retries[2]).toBeGreaterThan(0);
  });
});
