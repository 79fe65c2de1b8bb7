// A Node `vm` sandbox that mimics WeChat's logic layer, for running lib/sdk.js in tests
// and benchmarks without WeChat DevTools.
//
// Inside the sandbox, as in the logic layer:
//   - no WebAssembly, crypto, TextEncoder, TextDecoder, Buffer, process, require, globalThis;
//   - eval and new Function throw (code generation from strings is disabled), except
//     `new Function('return this')`, which WeChat allows and libraries use to find the global;
//   - Math.random throws (the product must never use it; WeChat has it, we forbid it);
//   - a fake `wx` whose getRandomValues is asynchronous (callbacks, max 1 MiB per call,
//     backed by node:crypto), whose connectSocket opens real WebSockets (the `ws` package)
//     and whose request makes real HTTP requests, both to 127.0.0.1 only, with WeChat's
//     limits (5 sockets, 10 requests at once, ArrayBuffer or string payloads only).
// Values crossing into the sandbox (ArrayBuffers, parsed JSON) are created in the sandbox's
// own realm, as the logic layer would hand them out.
import { randomFillSync } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { isArrayBuffer } from 'node:util/types';
import vm from 'node:vm';
import WebSocket from 'ws';

export const WX_RANDOM_MAX_PER_CALL = 1024 * 1024;
export const WX_MAX_SOCKETS = 5;
export const WX_MAX_REQUESTS = 10;

type Callback<T> = ((value: T) => void) | undefined;
interface CallbackOptions<S, F = { errMsg: string }> {
  success?: Callback<S>;
  fail?: Callback<F>;
  complete?: Callback<S | F>;
}

export interface SandboxOptions {
  /** Hosts connectSocket and request may reach (default: 127.0.0.1 only). */
  allowedHosts?: string[];
  /** Called with a copy of every block of random bytes wx.getRandomValues hands out. */
  onRandomDelivered?: (bytes: Uint8Array) => void;
  /** Random bytes source behind wx.getRandomValues (default node:crypto). */
  fillRandom?: (bytes: Uint8Array) => void;
  /** Lines the sandbox's console writes (default: discarded). */
  onConsole?: (level: string, args: unknown[]) => void;
}

export interface LogicLayerSandbox {
  readonly context: vm.Context;
  /** Runs script text in the sandbox and returns its completion value. */
  run<T = unknown>(code: string, filename?: string): T;
  /** Evaluates a CommonJS bundle as WeChat evaluates a module file (module, exports; no require). */
  loadModule<T = Record<string, unknown>>(code: string, filename?: string): T;
  /** Counts of live wx resources. */
  readonly stats: { openSockets: number; pendingRequests: number; randomCalls: number; randomBytes: number };
  /** Closes every socket and request the sandbox opened. */
  close(): Promise<void>;
}

/** Globals a fresh V8 context has that WeChat's logic layer does not, plus the ones we forbid. */
const SETUP = `(function () {
  var g = this;
  delete g.WebAssembly;
  var OriginalFunction = g.Function;
  var SandboxFunction = function Function() {
    if (arguments.length === 1 && String(arguments[0]).trim() === 'return this') return function () { return g; };
    throw new EvalError('Code generation from strings disallowed in the WeChat logic layer');
  };
  SandboxFunction.prototype = OriginalFunction.prototype;
  Object.defineProperty(g, 'Function', { value: SandboxFunction, writable: true, configurable: true });
  Object.defineProperty(Math, 'random', {
    value: function random() { throw new Error('Math.random is forbidden: use the entropy pool'); },
    writable: false, configurable: false,
  });
  delete g.globalThis;
})`;

function hostOf(url: string): { protocol: string; hostname: string } | null {
  const m = /^([a-z]+):\/\/(\[[^\]]+\]|[^/:?#]+)/i.exec(url);
  return m ? { protocol: m[1]!.toLowerCase(), hostname: m[2]!.toLowerCase() } : null;
}

export function createLogicLayerSandbox(options: SandboxOptions = {}): LogicLayerSandbox {
  const allowedHosts = new Set(options.allowedHosts ?? ['127.0.0.1']);
  const fillRandom = options.fillRandom ?? ((bytes: Uint8Array) => randomFillSync(bytes));
  const sockets = new Set<WebSocket>();
  const requests = new Set<ReturnType<typeof httpRequest>>();
  const timers = new Set<NodeJS.Timeout>();
  const stats = { openSockets: 0, pendingRequests: 0, randomCalls: 0, randomBytes: 0 };
  const log = options.onConsole ?? (() => undefined);

  const globals: Record<string, unknown> = {
    console: {
      log: (...args: unknown[]) => log('log', args),
      info: (...args: unknown[]) => log('info', args),
      warn: (...args: unknown[]) => log('warn', args),
      error: (...args: unknown[]) => log('error', args),
      debug: (...args: unknown[]) => log('debug', args),
    },
    setTimeout: (fn: () => void, ms?: number) => {
      if (typeof fn !== 'function') throw new TypeError('setTimeout expects a function');
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, ms);
      timers.add(t);
      return t;
    },
    clearTimeout: (t: NodeJS.Timeout) => {
      timers.delete(t);
      clearTimeout(t);
    },
    setInterval: (fn: () => void, ms?: number) => {
      if (typeof fn !== 'function') throw new TypeError('setInterval expects a function');
      const t = setInterval(fn, ms);
      timers.add(t);
      return t;
    },
    clearInterval: (t: NodeJS.Timeout) => {
      timers.delete(t);
      clearInterval(t);
    },
  };
  const context = vm.createContext(globals, {
    name: 'wechat-logic-layer',
    codeGeneration: { strings: false, wasm: false },
  });
  (vm.runInContext(SETUP, context) as () => void).call(vm.runInContext('this', context));

  const SandboxArrayBuffer = vm.runInContext('ArrayBuffer', context) as ArrayBufferConstructor;
  const SandboxUint8Array = vm.runInContext('Uint8Array', context) as Uint8ArrayConstructor;
  const SandboxJSON = vm.runInContext('JSON', context) as JSON;
  const sandboxObject = <T extends object>(value: T): T => SandboxJSON.parse(JSON.stringify(value)) as T;

  /** Copies bytes into an ArrayBuffer of the sandbox's realm. */
  const toSandboxBuffer = (bytes: Uint8Array): ArrayBuffer => {
    const buffer = new SandboxArrayBuffer(bytes.length);
    new SandboxUint8Array(buffer).set(bytes);
    return buffer;
  };

  /** Calls success or fail, then complete, asynchronously, as wx does; a throwing callback is not ours to catch. */
  const settle = <S, F>(opts: CallbackOptions<S, F> | undefined, ok: boolean, value: S | F): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (ok) opts?.success?.(value as S);
      else opts?.fail?.(value as F);
      opts?.complete?.(value);
    }, 0);
    timers.add(t);
  };
  const failure = (api: string, why: string) => sandboxObject({ errMsg: `${api}:fail ${why}` });

  const checkUrl = (url: unknown, protocols: string[]): string | null => {
    if (typeof url !== 'string') return 'invalid url';
    const h = hostOf(url);
    if (!h || !protocols.includes(h.protocol)) return `url not in domain list (scheme must be ${protocols.join('/')})`;
    if (!allowedHosts.has(h.hostname)) return 'url not in domain list';
    return null;
  };

  const wx = {
    getRandomValues(opts: { length: number } & CallbackOptions<{ randomValues: ArrayBuffer; errMsg: string }>) {
      const length = opts?.length;
      if (typeof length !== 'number' || !Number.isInteger(length) || length <= 0 || length > WX_RANDOM_MAX_PER_CALL) {
        settle(opts, false, failure('getRandomValues', 'invalid length'));
        return;
      }
      stats.randomCalls++;
      stats.randomBytes += length;
      const bytes = new Uint8Array(length);
      try {
        fillRandom(bytes);
      } catch {
        settle(opts, false, failure('getRandomValues', 'system error'));
        return;
      }
      options.onRandomDelivered?.(bytes.slice());
      const result = sandboxObject({ errMsg: 'getRandomValues:ok' }) as { randomValues: ArrayBuffer; errMsg: string };
      result.randomValues = toSandboxBuffer(bytes);
      bytes.fill(0);
      settle(opts, true, result);
    },

    connectSocket(opts: { url: string; header?: Record<string, string>; protocols?: string[] } & CallbackOptions<{ errMsg: string }>) {
      return createSocketTask(opts);
    },

    request(
      opts: {
        url: string;
        method?: string;
        data?: unknown;
        header?: Record<string, string>;
        dataType?: string;
        responseType?: 'text' | 'arraybuffer';
        timeout?: number;
      } & CallbackOptions<{ data: unknown; statusCode: number; header: Record<string, string>; errMsg: string }>,
    ) {
      return createRequestTask(opts);
    },
  };

  function createSocketTask(opts: { url: string; header?: Record<string, string>; protocols?: string[] } & CallbackOptions<{ errMsg: string }>) {
    const listeners = {
      open: [] as ((r: unknown) => void)[],
      message: [] as ((r: unknown) => void)[],
      close: [] as ((r: unknown) => void)[],
      error: [] as ((r: unknown) => void)[],
    };
    const emit = (kind: keyof typeof listeners, value: unknown) => {
      for (const fn of listeners[kind]) fn(value);
    };
    let ws: WebSocket | null = null;
    const task = {
      onOpen: (fn: (r: unknown) => void) => void listeners.open.push(fn),
      onMessage: (fn: (r: unknown) => void) => void listeners.message.push(fn),
      onClose: (fn: (r: unknown) => void) => void listeners.close.push(fn),
      onError: (fn: (r: unknown) => void) => void listeners.error.push(fn),
      send(sendOpts: { data: unknown } & CallbackOptions<{ errMsg: string }>) {
        const data = sendOpts?.data;
        if (!ws || ws.readyState !== WebSocket.OPEN) {
          settle(sendOpts, false, failure('sendSocketMessage', 'WebSocket is not connected'));
          return;
        }
        let payload: Buffer | string;
        if (typeof data === 'string') payload = data;
        else if (isArrayBuffer(data)) payload = Buffer.from(new Uint8Array(data).slice());
        else {
          // WeChat accepts string or ArrayBuffer only; a typed array view is a bug in the caller.
          settle(sendOpts, false, failure('sendSocketMessage', 'data must be a string or ArrayBuffer'));
          return;
        }
        ws.send(payload, { binary: typeof payload !== 'string' }, (err) => {
          settle(sendOpts, !err, err ? failure('sendSocketMessage', 'send failed') : sandboxObject({ errMsg: 'sendSocketMessage:ok' }));
        });
      },
      close(closeOpts?: { code?: number; reason?: string } & CallbackOptions<{ errMsg: string }>) {
        if (ws && ws.readyState !== WebSocket.CLOSED) ws.close(closeOpts?.code ?? 1000, closeOpts?.reason ?? '');
        settle(closeOpts, true, sandboxObject({ errMsg: 'closeSocket:ok' }));
      },
    };
    const refused = checkUrl(opts?.url, ['ws', 'wss']) ?? (sockets.size >= WX_MAX_SOCKETS ? 'exceed max task count (5)' : null);
    if (refused) {
      settle(opts, false, failure('connectSocket', refused));
      const t = setTimeout(() => {
        timers.delete(t);
        emit('error', failure('connectSocket', refused));
      }, 0);
      timers.add(t);
      return task;
    }
    const socket = new WebSocket(opts.url, opts.protocols ?? [], { headers: opts.header ?? {}, maxPayload: 16 * 1024 * 1024 });
    socket.binaryType = 'arraybuffer';
    ws = socket;
    sockets.add(socket);
    stats.openSockets = sockets.size;
    socket.on('open', () => emit('open', sandboxObject({ header: {}, profile: {} })));
    socket.on('message', (data, isBinary) => {
      const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]);
      const value = isBinary ? toSandboxBuffer(bytes) : Buffer.from(bytes).toString('utf8');
      const message = sandboxObject({}) as { data: unknown };
      message.data = value;
      emit('message', message);
    });
    socket.on('error', () => emit('error', failure('socket', 'connection error')));
    socket.on('close', (code, reason) => {
      sockets.delete(socket);
      stats.openSockets = sockets.size;
      emit('close', sandboxObject({ code, reason: reason.toString('utf8') }));
    });
    settle(opts, true, sandboxObject({ errMsg: 'connectSocket:ok' }));
    return task;
  }

  function createRequestTask(
    opts: {
      url: string;
      method?: string;
      data?: unknown;
      header?: Record<string, string>;
      dataType?: string;
      responseType?: 'text' | 'arraybuffer';
      timeout?: number;
    } & CallbackOptions<{ data: unknown; statusCode: number; header: Record<string, string>; errMsg: string }>,
  ) {
    let req: ReturnType<typeof httpRequest> | null = null;
    const task = { abort: () => req?.destroy(new Error('abort')) };
    const refused = checkUrl(opts?.url, ['http', 'https']) ?? (requests.size >= WX_MAX_REQUESTS ? 'exceed max request count (10)' : null);
    if (refused) {
      settle(opts, false, failure('request', refused));
      return task;
    }
    const method = (opts.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = { ...(opts.header ?? {}) };
    let body: Buffer | undefined;
    if (opts.data !== undefined && method !== 'GET') {
      if (typeof opts.data === 'string') body = Buffer.from(opts.data, 'utf8');
      else if (isArrayBuffer(opts.data)) body = Buffer.from(new Uint8Array(opts.data).slice());
      else if (ArrayBuffer.isView(opts.data)) {
        settle(opts, false, failure('request', 'data must be a string, ArrayBuffer or object'));
        return task;
      } else {
        body = Buffer.from(JSON.stringify(opts.data), 'utf8');
        headers['content-type'] ??= 'application/json';
      }
    }
    const started = httpRequest(opts.url, { method, headers, timeout: opts.timeout ?? 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        requests.delete(started);
        stats.pendingRequests = requests.size;
        const raw = Buffer.concat(chunks);
        let data: unknown;
        if (opts.responseType === 'arraybuffer') data = toSandboxBuffer(raw);
        else {
          const text = raw.toString('utf8');
          data = text;
          if ((opts.dataType ?? 'json') === 'json') {
            try {
              data = SandboxJSON.parse(text);
            } catch {
              data = text;
            }
          }
        }
        const result = sandboxObject({ statusCode: res.statusCode ?? 0, header: flatHeaders(res.headers), errMsg: 'request:ok' }) as {
          data: unknown;
          statusCode: number;
          header: Record<string, string>;
          errMsg: string;
        };
        result.data = data;
        settle(opts, true, result);
      });
    });
    req = started;
    requests.add(started);
    stats.pendingRequests = requests.size;
    started.on('timeout', () => started.destroy(new Error('timeout')));
    started.on('error', (err) => {
      requests.delete(started);
      stats.pendingRequests = requests.size;
      settle(opts, false, failure('request', err.message === 'abort' ? 'abort' : 'network error'));
    });
    started.end(body);
    return task;
  }

  context.wx = wx;

  return {
    context,
    run<T>(code: string, filename = 'sandbox-script.js'): T {
      return new vm.Script(code, { filename }).runInContext(context) as T;
    },
    loadModule<T>(code: string, filename = 'lib/sdk.js'): T {
      const wrapper = new vm.Script(`(function (module, exports) {${code}\n})`, { filename }).runInContext(context) as (
        m: { exports: unknown },
        e: unknown,
      ) => void;
      const module = vm.runInContext('({ exports: {} })', context) as { exports: T };
      wrapper(module, module.exports);
      return module.exports;
    },
    stats,
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const r of requests) r.destroy();
      const closing = [...sockets].map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.readyState === WebSocket.CLOSED) return resolve();
            s.once('close', () => resolve());
            s.terminate();
          }),
      );
      await Promise.all(closing);
    },
  };
}

function flatHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
