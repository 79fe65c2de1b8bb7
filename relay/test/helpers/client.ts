// A small relay client for tests: HTTP login and routes, and a WebSocket that records frames.
import WebSocket from 'ws';
import { bytesToHex } from '../../../crypto/src/bytes';
import type { Primitives } from '../../../crypto/src/primitives/types';
import {
  decodeAuthChallengeResponse,
  decodeAuthSessionResponse,
  encodeAuthChallengeRequest,
  encodeAuthSessionRequest,
  encodeLogAppendRequest,
} from '../../../crypto/src/wire/http-bodies';
import { signRelayAuthChallenge } from '../../../crypto/src/wire/relay-auth';
import { decodeRelayFrame, encodeClientFrame, FRAME, type ClientFrame, type RelayFrame } from '../../../crypto/src/wire/relay-frames';
import type { Device } from './log';

export interface HttpResult {
  status: number;
  bytes: Uint8Array;
  json: { error?: string; message?: string } | null;
}

export async function http(base: string, method: string, path: string, body?: Uint8Array, token?: Uint8Array): Promise<HttpResult> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${bytesToHex(token)}`;
  if (body) headers['content-type'] = 'application/octet-stream';
  const res = await fetch(base + path, { method, headers, body: body as unknown as string | undefined });
  const bytes = new Uint8Array(await res.arrayBuffer());
  let json = null;
  if ((res.headers.get('content-type') ?? '').includes('json')) json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  return { status: res.status, bytes, json };
}

export async function login(base: string, p: Primitives, d: Device): Promise<{ token: Uint8Array; expiresAt: number; challenge: Uint8Array; signature: Uint8Array }> {
  const ch = await http(base, 'POST', '/v1/auth/challenge', encodeAuthChallengeRequest({ identityKey: d.identityKey }));
  if (ch.status !== 200) throw new Error(`challenge failed: ${ch.status}`);
  const { challenge } = decodeAuthChallengeResponse(ch.bytes);
  const signature = signRelayAuthChallenge(p, d.seed, challenge);
  const s = await http(base, 'POST', '/v1/auth/session', encodeAuthSessionRequest({ challenge, signature }));
  if (s.status !== 200) throw new Error(`session failed: ${s.status} ${JSON.stringify(s.json)}`);
  const r = decodeAuthSessionResponse(s.bytes);
  return { token: r.token, expiresAt: r.expiresAt, challenge, signature };
}

export async function append(base: string, token: Uint8Array, groupId: Uint8Array | null, expectedHead: Uint8Array, entry: Uint8Array, envelopes: Uint8Array[]) {
  const body = encodeLogAppendRequest({ expectedHead, entry, envelopes });
  return http(base, 'POST', groupId ? `/v1/groups/${bytesToHex(groupId)}/log` : '/v1/groups', body, token);
}

/** A WebSocket that decodes and records every relay frame. */
export class WsClient {
  readonly frames: RelayFrame[] = [];
  closeCode: number | null = null;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.frames.push(decodeRelayFrame(new Uint8Array(data)));
      this.wake();
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      this.wake();
    });
  }

  static async open(url: string): Promise<WsClient> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new WsClient(ws);
  }

  /** Opens, sends AUTH and waits for READY; then RESUME with `cursors` unless `resume` is false. */
  static async connect(url: string, token: Uint8Array, opts: { resume?: boolean; cursors?: { groupId: Uint8Array; messageAfter: number; logFrom: number }[] } = {}): Promise<WsClient> {
    const c = await WsClient.open(url);
    c.send({ type: FRAME.AUTH, token });
    await c.waitFor((f) => f.type === FRAME.READY);
    if (opts.resume !== false) c.send({ type: FRAME.RESUME, cursors: opts.cursors ?? [] });
    return c;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(f: ClientFrame): void {
    this.ws.send(encodeClientFrame(f));
  }

  private nextPing = 1;

  /** PING and wait for its PONG: the relay handles a socket's frames in order, so every
   *  synchronous frame sent before this one (an ACK) has been handled when it returns. */
  async roundTrip(): Promise<void> {
    const nonce = this.nextPing++;
    this.send({ type: FRAME.PING, nonce });
    await this.waitFor((f) => f.type === FRAME.PONG && f.nonce === nonce);
  }

  sendRaw(bytes: Uint8Array | string): void {
    this.ws.send(bytes);
  }

  of<T extends RelayFrame['type']>(type: T): Extract<RelayFrame, { type: T }>[] {
    return this.frames.filter((f) => f.type === type) as Extract<RelayFrame, { type: T }>[];
  }

  async waitFor(pred: (f: RelayFrame) => boolean, timeoutMs = 5000): Promise<RelayFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.frames.find(pred);
      if (hit) return hit;
      if (this.closeCode !== null) throw new Error(`socket closed (${this.closeCode}) while waiting`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a frame');
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  async waitCount(pred: (f: RelayFrame) => boolean, n: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.filter(pred).length < n) {
      if (Date.now() > deadline) throw new Error(`timed out: ${this.frames.filter(pred).length}/${n} frames`);
      if (this.closeCode !== null) throw new Error(`socket closed (${this.closeCode})`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async waitClose(timeoutMs = 5000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.closeCode === null) {
      if (Date.now() > deadline) throw new Error('timed out waiting for close');
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.closeCode;
  }

  close(): void {
    this.ws.close();
  }
}
