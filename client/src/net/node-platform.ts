// The Node platform: WebSockets on `ws`, HTTP on the global fetch with an AbortController
// timeout, the real clock and timers. The wx counterpart is miniprogram/lib/wx-platform.ts.
import WebSocket from 'ws';
import { E2eeError } from '../../../crypto/src/errors';
import { NET_BAD_RESPONSE, NET_CLOSED, NET_FAILED, NET_TIMEOUT } from './errors';
import type { HttpRequest, HttpResponse, Platform, PlatformSocket, SocketHandlers, TimerHandle } from './types';

export interface NodePlatformOptions {
  /** Largest WebSocket message accepted from the relay, bytes (ws `maxPayload`). Default 16 MiB + 1 KiB. */
  maxFrameBytes?: number;
  /** Milliseconds to establish a WebSocket (ws `handshakeTimeout`). Default 10 000. */
  handshakeTimeoutMs?: number;
}

const DEFAULTS = { maxFrameBytes: 16 * 1024 * 1024 + 1024, handshakeTimeoutMs: 10_000 } as const;

export function nodePlatform(opts: NodePlatformOptions = {}): Platform {
  const maxFrameBytes = opts.maxFrameBytes ?? DEFAULTS.maxFrameBytes;
  const handshakeTimeout = opts.handshakeTimeoutMs ?? DEFAULTS.handshakeTimeoutMs;
  return {
    name: 'node',
    openSocket: (url, handlers) => openNodeSocket(url, handlers, maxFrameBytes, handshakeTimeout),
    request: nodeRequest,
    now: () => Date.now(),
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (h: TimerHandle) => clearTimeout(h as ReturnType<typeof setTimeout>),
  };
}

function openNodeSocket(url: string, handlers: SocketHandlers, maxPayload: number, handshakeTimeout: number): PlatformSocket {
  if (!/^wss?:\/\//.test(url)) throw new TypeError('"url" must be a ws:// or wss:// URL');
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload, handshakeTimeout });
  ws.binaryType = 'nodebuffer';
  let closed = false;
  const finish = (code: number, reason: string) => {
    if (closed) return;
    closed = true;
    try {
      handlers.onClose(code, reason);
    } catch {
      // a handler's failure must not become an unhandled socket error
    }
  };
  ws.on('open', () => {
    if (!closed) handlers.onOpen();
  });
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (closed) return;
    if (!isBinary) {
      // Text is a protocol error on this endpoint: close and report it now.
      ws.close(1002, 'binary frames only');
      finish(1002, 'text frame from relay');
      return;
    }
    handlers.onMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  });
  // ws emits 'error' (then 'close') for failed handshakes, resets and oversize frames.
  ws.on('error', () => {
    /* the 'close' event that follows reports it */
  });
  ws.on('close', (code: number, reason: Buffer) => finish(code || 1006, reason.toString('latin1').slice(0, 123)));
  return {
    send(data: Uint8Array) {
      if (closed || ws.readyState !== WebSocket.OPEN) throw new E2eeError(NET_CLOSED, 'socket is not open', 'send');
      ws.send(data, { binary: true });
    },
    close(code?: number, reason?: string) {
      if (ws.readyState === WebSocket.CLOSED) return;
      if (ws.readyState === WebSocket.CONNECTING) {
        ws.terminate();
        return;
      }
      ws.close(code ?? 1000, reason);
      // A peer that never answers the close frame: cut it after a grace period.
      setTimeout(() => ws.terminate(), 1000).unref();
    },
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
  };
}

async function nodeRequest(req: HttpRequest): Promise<HttpResponse> {
  const ctl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctl.abort();
  }, req.timeoutMs);
  try {
    const res = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body as NonNullable<Parameters<typeof fetch>[1]>['body'],
      signal: ctl.signal,
      redirect: 'error',
    });
    const max = req.maxResponseBytes ?? Number.MAX_SAFE_INTEGER;
    const declared = res.headers.get('content-length');
    if (declared !== null && Number(declared) > max) {
      ctl.abort();
      throw new E2eeError(NET_BAD_RESPONSE, `response larger than ${max} bytes`, 'request');
    }
    const body = await readCapped(res, max, ctl);
    return { status: res.status, contentType: (res.headers.get('content-type') ?? '').toLowerCase(), body };
  } catch (e) {
    if (e instanceof E2eeError) throw e;
    if (timedOut) throw new E2eeError(NET_TIMEOUT, `HTTP ${req.method} timed out after ${req.timeoutMs} ms`, 'request');
    // The cause's text can name the URL (group IDs): keep only its class.
    const kind = e instanceof Error ? e.name : 'error';
    throw new E2eeError(NET_FAILED, `HTTP ${req.method} failed (${kind})`, 'request');
  } finally {
    clearTimeout(timer);
  }
}

/** Reads a body chunk by chunk and gives up as soon as it passes `max`. */
async function readCapped(res: Response, max: number, ctl: AbortController): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      ctl.abort();
      throw new E2eeError(NET_BAD_RESPONSE, `response larger than ${max} bytes`, 'request');
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
