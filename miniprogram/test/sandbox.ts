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
//     limits (5 sockets, 10 requests at once, ArrayBuffer or string payloads only);
//     and whose getFileSystemManager() keeps user files (wx.env.USER_DATA_PATH) in a host
//     directory, confined to it, with WeChat's 200 MB quota.
// Values crossing into the sandbox (ArrayBuffers, parsed JSON) are created in the sandbox's
// own realm, as the logic layer would hand them out.
import { randomFillSync } from 'node:crypto';
import { promises as fsp, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve as resolvePath } from 'node:path';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { isArrayBuffer } from 'node:util/types';
import vm from 'node:vm';
import WebSocket from 'ws';

export const WX_RANDOM_MAX_PER_CALL = 1024 * 1024;
export const WX_MAX_SOCKETS = 5;
export const WX_MAX_REQUESTS = 10;
/** wx.env.USER_DATA_PATH as the logic layer sees it. */
export const WX_USER_DATA_PATH = 'wxfile://usr';
/** User files a mini program may keep. */
export const WX_USER_DATA_QUOTA_BYTES = 200 * 1024 * 1024;

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
  /** Host directory behind wx.env.USER_DATA_PATH (default: a fresh temp dir removed on close). Reuse it to model a restart. */
  userDataDir?: string;
  /** Quota of user files in bytes (default 200 MB, WeChat's). */
  userDataQuotaBytes?: number;
}

export interface LogicLayerSandbox {
  readonly context: vm.Context;
  /** Runs script text in the sandbox and returns its completion value. */
  run<T = unknown>(code: string, filename?: string): T;
  /** Evaluates a CommonJS bundle as WeChat evaluates a module file (module, exports; `require` only of `modules`). */
  loadModule<T = Record<string, unknown>>(code: string, filename?: string, modules?: Record<string, unknown>): T;
  /** Host directory behind wx.env.USER_DATA_PATH. */
  readonly userDataDir: string;
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
    let url = opts.url;
    let body: Buffer | undefined;
    if (method === 'GET' && opts.data !== null && typeof opts.data === 'object' && !isArrayBuffer(opts.data) && !ArrayBuffer.isView(opts.data)) {
      // wx.request turns a GET's object data into the query string.
      const query = Object.entries(opts.data as Record<string, unknown>)
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
        .join('&');
      if (query) url += (url.includes('?') ? '&' : '?') + query;
    }
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
    const started = httpRequest(url, { method, headers, timeout: opts.timeout ?? 60_000 }, (res) => {
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

  const ownsUserData = options.userDataDir === undefined;
  const userDataDir = options.userDataDir ?? mkdtempSync(join(tmpdir(), 'wx-usr-'));
  const quota = options.userDataQuotaBytes ?? WX_USER_DATA_QUOTA_BYTES;
  Object.assign(wx, {
    env: sandboxObject({ USER_DATA_PATH: WX_USER_DATA_PATH }),
    getFileSystemManager: () => createFileSystemManager(userDataDir, quota, { settle, failure, toSandboxBuffer, sandboxObject }),
  });
  context.wx = wx;

  return {
    context,
    run<T>(code: string, filename = 'sandbox-script.js'): T {
      return new vm.Script(code, { filename }).runInContext(context) as T;
    },
    /**
     * Runs `code` as a CommonJS module of the mini program. `modules` is what its module-local
     * `require` can return (WeChat gives each module one for package files, e.g. lib/bridge.js
     * requiring './sdk.js'); without it, the module sees no `require` at all.
     */
    loadModule<T>(code: string, filename = 'lib/sdk.js', modules?: Record<string, unknown>): T {
      const wrapper = new vm.Script(`(function (module, exports, require) {${code}\n})`, { filename }).runInContext(context) as (
        m: { exports: unknown },
        e: unknown,
        r: ((spec: string) => unknown) | undefined,
      ) => void;
      const module = vm.runInContext('({ exports: {} })', context) as { exports: T };
      const localRequire = modules
        ? (spec: string) => {
            if (!Object.prototype.hasOwnProperty.call(modules, spec)) throw new Error(`module "${spec}" is not defined`);
            return modules[spec];
          }
        : undefined;
      wrapper(module, module.exports, localRequire);
      return module.exports;
    },
    stats,
    userDataDir,
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
      if (ownsUserData) rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

interface FsmHelpers {
  settle: <S, F>(opts: CallbackOptions<S, F> | undefined, ok: boolean, value: S | F) => void;
  failure: (api: string, why: string) => { errMsg: string };
  toSandboxBuffer: (bytes: Uint8Array) => ArrayBuffer;
  sandboxObject: <T extends object>(value: T) => T;
}

async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? await directoryBytes(path) : (await fsp.stat(path)).size;
  }
  return total;
}

/**
 * wx.getFileSystemManager() over a host directory. Paths must lie under
 * wx.env.USER_DATA_PATH; anything else (another scheme, `..` escapes) fails with
 * "permission denied", as WeChat refuses writes outside user data. Errors come back
 * through fail({ errMsg }) in WeChat's wording ("no such file or directory").
 */
function createFileSystemManager(root: string, quota: number, h: FsmHelpers) {
  const hostPath = (api: string, path: unknown): string => {
    if (typeof path !== 'string' || !(path === WX_USER_DATA_PATH || path.startsWith(`${WX_USER_DATA_PATH}/`))) {
      throw new Error(`${api}:fail permission denied, ${String(path).slice(0, 200)}`);
    }
    const full = resolvePath(root, `.${path.slice(WX_USER_DATA_PATH.length)}`);
    const rel = relative(root, full);
    if (rel.startsWith('..') || resolvePath(root, rel) !== full) throw new Error(`${api}:fail permission denied, ${path.slice(0, 200)}`);
    return full;
  };
  const reason = (e: NodeJS.ErrnoException): string =>
    e.code === 'ENOENT'
      ? 'no such file or directory'
      : e.code === 'EEXIST'
        ? 'file already exists'
        : e.code === 'ENOTEMPTY'
          ? 'directory not empty'
          : e.code === 'EISDIR'
            ? 'illegal operation on a directory'
            : String(e.code ?? 'unknown error');
  /** Runs `work`, then success(shape(result)) or fail({ errMsg }) asynchronously. */
  const run = <T>(api: string, path: unknown, opts: CallbackOptions<unknown>, work: () => Promise<T>, shape: (v: T) => object) => {
    let started: Promise<T>;
    try {
      hostPath(api, path);
      started = work();
    } catch (e) {
      h.settle(opts, false, h.sandboxObject({ errMsg: (e as Error).message }));
      return;
    }
    started.then(
      (v) => h.settle(opts, true, shape(v)),
      (e: NodeJS.ErrnoException) =>
        h.settle(opts, false, e.message.startsWith(`${api}:fail`) ? h.sandboxObject({ errMsg: e.message }) : h.failure(api, `${reason(e)}, ${String(path).slice(0, 200)}`)),
    );
  };
  const ok = (api: string) => () => h.sandboxObject({ errMsg: `${api}:ok` });
  const bytesOf = (api: string, data: unknown, encoding?: string): Buffer => {
    if (typeof data === 'string') return Buffer.from(data, (encoding ?? 'utf8') as BufferEncoding);
    if (isArrayBuffer(data)) return Buffer.from(new Uint8Array(data).slice());
    throw new Error(`${api}:fail data must be a string or ArrayBuffer`);
  };
  const withinQuota = async (api: string, adding: number) => {
    if ((await directoryBytes(root)) + adding > quota) throw new Error(`${api}:fail the maximum size of the file storage limit is exceeded`);
  };
  type O<T> = T & CallbackOptions<unknown>;
  return {
    readFile(o: O<{ filePath: string; encoding?: string }>) {
      run('readFile', o?.filePath, o, () => fsp.readFile(hostPath('readFile', o.filePath)), (b) => {
        const result = h.sandboxObject({ errMsg: 'readFile:ok', data: null as unknown });
        result.data = o.encoding ? b.toString(o.encoding as BufferEncoding) : h.toSandboxBuffer(b);
        return result;
      });
    },
    writeFile(o: O<{ filePath: string; data: unknown; encoding?: string }>) {
      run('writeFile', o?.filePath, o, async () => {
        const data = bytesOf('writeFile', o.data, o.encoding);
        await withinQuota('writeFile', data.length);
        await fsp.writeFile(hostPath('writeFile', o.filePath), data);
      }, ok('writeFile'));
    },
    appendFile(o: O<{ filePath: string; data: unknown; encoding?: string }>) {
      run('appendFile', o?.filePath, o, async () => {
        const data = bytesOf('appendFile', o.data, o.encoding);
        await withinQuota('appendFile', data.length);
        const path = hostPath('appendFile', o.filePath);
        await fsp.access(path); // wx appends to existing files only
        await fsp.appendFile(path, data);
      }, ok('appendFile'));
    },
    rename(o: O<{ oldPath: string; newPath: string }>) {
      run('rename', o?.oldPath, o, () => fsp.rename(hostPath('rename', o.oldPath), hostPath('rename', o.newPath)), ok('rename'));
    },
    unlink(o: O<{ filePath: string }>) {
      run('unlink', o?.filePath, o, () => fsp.unlink(hostPath('unlink', o.filePath)), ok('unlink'));
    },
    mkdir(o: O<{ dirPath: string; recursive?: boolean }>) {
      run('mkdir', o?.dirPath, o, () => fsp.mkdir(hostPath('mkdir', o.dirPath), { recursive: Boolean(o.recursive) }), ok('mkdir'));
    },
    rmdir(o: O<{ dirPath: string; recursive?: boolean }>) {
      run('rmdir', o?.dirPath, o, () => fsp.rm(hostPath('rmdir', o.dirPath), { recursive: Boolean(o.recursive) }), ok('rmdir'));
    },
    readdir(o: O<{ dirPath: string }>) {
      run('readdir', o?.dirPath, o, () => fsp.readdir(hostPath('readdir', o.dirPath)), (files) => {
        const result = h.sandboxObject({ errMsg: 'readdir:ok', files: [...files].sort() });
        return result;
      });
    },
    stat(o: O<{ path: string }>) {
      run('stat', o?.path, o, () => fsp.stat(hostPath('stat', o.path)), (st) => {
        const result = h.sandboxObject({ errMsg: 'stat:ok', stats: null as unknown });
        const dir = st.isDirectory();
        result.stats = Object.assign(h.sandboxObject({ size: st.size, lastModifiedTime: Math.floor(st.mtimeMs / 1000) }), {
          isDirectory: () => dir,
          isFile: () => !dir,
        });
        return result;
      });
    },
    access(o: O<{ path: string }>) {
      run('access', o?.path, o, () => fsp.access(hostPath('access', o.path)), ok('access'));
    },
  };
}

function flatHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
