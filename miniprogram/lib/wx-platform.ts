// The SDK's Platform (client/src/net/types.ts) on WeChat's logic layer:
//
//   openSocket  wx.connectSocket -> SocketTask. Binary frames only, sent as an ArrayBuffer
//               that holds exactly the message (WeChat refuses typed-array views); a text
//               frame from the relay is a protocol error and closes the socket (1003).
//               WeChat allows 5 sockets per mini program: the adapter counts its own and
//               refuses a sixth (reported through onClose, as every connect failure is).
//               onError and onClose both end a socket; the SDK hears onClose exactly once.
//   request     wx.request with an ArrayBuffer body and responseType 'arraybuffer' (no JSON
//               parsing by WeChat: the SDK decodes bodies itself), WeChat's own timeout plus
//               our timer, so a stuck request always ends with E2E_ERR_NET_TIMEOUT.
//               Blobs travel the same way up to MAX_WX_REQUEST_BODY_BYTES (a 10 MiB
//               encrypted attachment); wx.uploadFile would need a temp file and multipart
//               framing the relay does not speak, so it is not used.
//   timers      the logic layer's setTimeout / clearTimeout.
//
// Build input of lib/sdk.js (through sdk-entry.ts), not a page module: it is listed in
// packOptions.ignore. Errors never carry URLs, headers, tokens or bodies.
import type { HttpRequest, HttpResponse, Platform, PlatformSocket, SocketHandlers, TimerHandle } from '../../client/src/net/types';
import { E2eeError } from '../../crypto/src/errors';
import { NET_CLOSED, NET_FAILED, NET_TIMEOUT } from '../../client/src/net/errors';

/** WeChat's cap on concurrent sockets (wx.connectSocket) per mini program. */
export const MAX_WX_SOCKETS = 5;
/** Largest request body sent through wx.request (encrypted attachments included). */
export const MAX_WX_REQUEST_BODY_BYTES = 10 * 1024 * 1024;
/** Largest response body accepted from wx.request. */
export const MAX_WX_RESPONSE_BYTES = 16 * 1024 * 1024;
/** Longest timeout a caller may ask for (WeChat's own default is 60 s). */
export const MAX_WX_TIMEOUT_MS = 5 * 60 * 1000;
/** A closed socket's slot is freed when WeChat reports the close, or after this long. */
export const SLOT_RELEASE_FALLBACK_MS = 10_000;
/** Close code sent when the relay answers with a text frame (unsupported data). */
export const CLOSE_UNSUPPORTED_DATA = 1003;
/** Close code reported when the platform gives none. */
export const CLOSE_ABNORMAL = 1006;


interface WxCallbacks<S> {
  success?: (res: S) => void;
  fail?: (err: { errMsg?: string }) => void;
}

/** The part of a SocketTask the adapter uses. */
export interface WxSocketTaskLike {
  onOpen(fn: (res: unknown) => void): void;
  onMessage(fn: (res: { data: unknown }) => void): void;
  onClose(fn: (res: { code?: number; reason?: string }) => void): void;
  onError(fn: (res: { errMsg?: string }) => void): void;
  send(options: { data: ArrayBuffer | string } & WxCallbacks<unknown>): void;
  close(options?: { code?: number; reason?: string } & WxCallbacks<unknown>): void;
}

export interface WxRequestSuccess {
  statusCode: number;
  header?: Record<string, unknown>;
  data: unknown;
}

/** The part of `wx` the adapter uses (the real `wx` and the test sandbox's fake both fit). */
export interface WxNetLike {
  connectSocket(options: { url: string; header?: Record<string, string>; protocols?: string[] } & WxCallbacks<unknown>): WxSocketTaskLike;
  request(
    options: {
      url: string;
      method?: HttpRequest['method'];
      header?: Record<string, string>;
      data?: ArrayBuffer;
      dataType?: string;
      responseType?: 'arraybuffer';
      timeout?: number;
    } & WxCallbacks<WxRequestSuccess>,
  ): { abort(): void } | undefined | void;
}

export interface WxPlatformOptions {
  /** Clock (default Date.now). */
  now?: () => number;
  /** Timers (default the logic layer's setTimeout / clearTimeout). */
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
  /** Socket cap (default 5, WeChat's). */
  maxSockets?: number;
  /** Request body cap (default 10 MiB). */
  maxRequestBodyBytes?: number;
}

/** Copies a view into an ArrayBuffer holding exactly its bytes (what WeChat sends). */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const out = new ArrayBuffer(bytes.length);
  new Uint8Array(out).set(bytes);
  return out;
}

/** True for an ArrayBuffer of any realm (WeChat hands out its own). */
function isArrayBufferLike(value: unknown): value is ArrayBuffer {
  return Object.prototype.toString.call(value) === '[object ArrayBuffer]';
}

function headerValue(header: Record<string, unknown> | undefined, name: string): string {
  if (!header) return '';
  for (const key of Object.keys(header)) {
    if (key.toLowerCase() === name) {
      const v = header[key];
      return typeof v === 'string' ? v : Array.isArray(v) ? v.join(', ') : '';
    }
  }
  return '';
}

function assertUrl(url: unknown, schemes: string[], name: string): string {
  if (typeof url !== 'string') throw new TypeError(`"${name}" expected a string`);
  const m = /^([a-z]+):\/\//i.exec(url);
  if (!m || !schemes.includes(m[1]!.toLowerCase())) throw new RangeError(`"${name}" expected a ${schemes.join(' or ')} URL`);
  return url;
}

export function wxPlatform(api: WxNetLike, options: WxPlatformOptions = {}): Platform {
  if (!api || typeof api.connectSocket !== 'function' || typeof api.request !== 'function') {
    throw new TypeError('"wx" expected an object with connectSocket and request');
  }
  const now = options.now ?? (() => Date.now());
  const setTimer = options.setTimeout ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
  const clearTimer = options.clearTimeout ?? ((h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>));
  const maxSockets = options.maxSockets ?? MAX_WX_SOCKETS;
  const maxBody = options.maxRequestBodyBytes ?? MAX_WX_REQUEST_BODY_BYTES;
  let liveSockets = 0;

  function openSocket(url: string, handlers: SocketHandlers): PlatformSocket {
    assertUrl(url, ['ws', 'wss'], 'url');
    if (!handlers || typeof handlers.onOpen !== 'function' || typeof handlers.onMessage !== 'function' || typeof handlers.onClose !== 'function') {
      throw new TypeError('"handlers" expected onOpen, onMessage and onClose');
    }
    let state: 'connecting' | 'open' | 'closed' = 'connecting';
    let buffered = 0;
    let task: WxSocketTaskLike | null = null;

    // WeChat counts a socket until it reports it closed: the slot is released then (or
    // after SLOT_RELEASE_FALLBACK_MS if it never does), not when the SDK is told.
    let slotHeld = false;
    const releaseSlot = () => {
      if (!slotHeld) return;
      slotHeld = false;
      liveSockets--;
    };
    /** Ends the socket once for the SDK. */
    const finish = (code: number, reason: string) => {
      if (state === 'closed') return;
      state = 'closed';
      buffered = 0;
      setTimer(releaseSlot, SLOT_RELEASE_FALLBACK_MS);
      handlers.onClose(code, reason);
    };
    const closeTask = (code: number, reason: string) => {
      try {
        task?.close({ code, reason });
      } catch {
        // already closed on WeChat's side
      }
    };

    if (liveSockets >= maxSockets) {
      // Reported asynchronously, as every connect failure is.
      state = 'closed';
      setTimer(() => handlers.onClose(CLOSE_ABNORMAL, `socket limit (${maxSockets}) reached`), 0);
      return { send: () => { throw new E2eeError(NET_CLOSED, 'socket is not open', 'socket.send'); }, close: () => undefined, bufferedAmount: 0 };
    }
    liveSockets++;
    slotHeld = true;

    try {
      task = api.connectSocket({
        url,
        fail: () => {
          releaseSlot();
          finish(CLOSE_ABNORMAL, 'connect failed');
        },
      });
    } catch {
      releaseSlot();
      setTimer(() => finish(CLOSE_ABNORMAL, 'connect failed'), 0);
    }
    if (task) {
      task.onOpen(() => {
        if (state !== 'connecting') return;
        state = 'open';
        handlers.onOpen();
      });
      task.onMessage((res) => {
        if (state !== 'open') return;
        const data = res?.data;
        if (!isArrayBufferLike(data)) {
          closeTask(CLOSE_UNSUPPORTED_DATA, 'binary frames only');
          finish(CLOSE_UNSUPPORTED_DATA, 'text frame received');
          return;
        }
        handlers.onMessage(new Uint8Array(data));
      });
      task.onError(() => {
        closeTask(CLOSE_ABNORMAL, 'error');
        finish(CLOSE_ABNORMAL, 'socket error');
      });
      task.onClose((res) => {
        releaseSlot();
        const code = typeof res?.code === 'number' && res.code > 0 ? res.code : CLOSE_ABNORMAL;
        finish(code, typeof res?.reason === 'string' ? res.reason.slice(0, 123) : '');
      });
    }

    return {
      send(data: Uint8Array) {
        if (!(data instanceof Uint8Array)) throw new TypeError('"data" expected Uint8Array');
        if (state !== 'open' || !task) throw new E2eeError(NET_CLOSED, 'socket is not open', 'socket.send');
        const size = data.length;
        buffered += size;
        task.send({
          data: toArrayBuffer(data),
          success: () => {
            if (state !== 'closed') buffered -= size;
          },
          fail: () => {
            // A send WeChat could not hand to the network: the connection is unusable.
            closeTask(CLOSE_ABNORMAL, 'send failed');
            finish(CLOSE_ABNORMAL, 'send failed');
          },
        });
      },
      close(code = 1000, reason = '') {
        if (state === 'closed') return;
        closeTask(code, reason.slice(0, 123));
        // WeChat reports onClose later; the SDK must not wait on a dead socket.
        finish(code, reason);
      },
      get bufferedAmount() {
        return buffered;
      },
    };
  }

  function request(req: HttpRequest): Promise<HttpResponse> {
    if (!req || typeof req !== 'object') return Promise.reject(new TypeError('"req" expected an object'));
    try {
      assertUrl(req.url, ['http', 'https'], 'req.url');
      if (!['GET', 'POST', 'PUT', 'DELETE'].includes(req.method)) throw new RangeError('"req.method" expected GET, POST, PUT or DELETE');
      if (!Number.isFinite(req.timeoutMs) || req.timeoutMs <= 0 || req.timeoutMs > MAX_WX_TIMEOUT_MS) {
        throw new RangeError(`"req.timeoutMs" expected 1..${MAX_WX_TIMEOUT_MS}`);
      }
      if (req.body !== undefined && !(req.body instanceof Uint8Array)) throw new TypeError('"req.body" expected Uint8Array');
      if (req.body && req.body.length > maxBody) throw new RangeError(`"req.body" expected at most ${maxBody} bytes, got ${req.body.length}`);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<HttpResponse>((resolve, reject) => {
      let done = false;
      let task: { abort(): void } | undefined | void;
      const timer = setTimer(() => {
        if (done) return;
        done = true;
        try {
          task?.abort();
        } catch {
          // nothing to abort
        }
        reject(new E2eeError(NET_TIMEOUT, `${req.method} timed out after ${req.timeoutMs} ms`, 'request'));
      }, req.timeoutMs);
      const settle = (fn: () => void) => {
        if (done) return;
        done = true;
        clearTimer(timer);
        fn();
      };
      const header: Record<string, string> = { ...req.headers };
      if (req.body && headerValue(header, 'content-type') === '') header['content-type'] = 'application/octet-stream';
      try {
        task = api.request({
          url: req.url,
          method: req.method,
          header,
          ...(req.body && req.method !== 'GET' ? { data: toArrayBuffer(req.body) } : {}),
          dataType: 'other',
          responseType: 'arraybuffer',
          timeout: req.timeoutMs,
          success: (res) =>
            settle(() => {
              const data = res?.data;
              let body: Uint8Array;
              if (isArrayBufferLike(data)) body = new Uint8Array(data.slice(0));
              else if (data === undefined || data === null || data === '') body = new Uint8Array(0);
              else return reject(new E2eeError(NET_FAILED, `${req.method} answered with a non-binary body`, 'request'));
              if (body.length > MAX_WX_RESPONSE_BYTES) return reject(new E2eeError(NET_FAILED, `${req.method} response over ${MAX_WX_RESPONSE_BYTES} bytes`, 'request'));
              const status = typeof res.statusCode === 'number' ? res.statusCode : 0;
              resolve({ status, contentType: headerValue(res.header, 'content-type').toLowerCase(), body });
            }),
          fail: (err) =>
            settle(() => {
              const why = typeof err?.errMsg === 'string' && /time ?out/i.test(err.errMsg);
              reject(why ? new E2eeError(NET_TIMEOUT, `${req.method} timed out`, 'request') : new E2eeError(NET_FAILED, `${req.method} failed (network)`, 'request'));
            }),
        });
      } catch {
        settle(() => reject(new E2eeError(NET_FAILED, `${req.method} failed (wx.request threw)`, 'request')));
      }
    });
  }

  return {
    name: 'wx',
    openSocket,
    request,
    now,
    setTimer: (fn: () => void, ms: number): TimerHandle => setTimer(fn, ms),
    clearTimer: (handle: TimerHandle) => clearTimer(handle),
  };
}
