// The bundled crypto core inside a sandbox that mimics WeChat's logic layer, with a
// fake wx whose randomness is asynchronous and whose sockets and requests are real.
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { bytesToHex, concatBytes, hexToBytes, utf8Encode } from '../../crypto/src/bytes';
import { createPrimitives } from '../../crypto/src/primitives/index';
import { nobleBackend } from '../../crypto/src/primitives/noble';
import { buildMiniprogramBundle, GLOBAL_THIS_BINDING, isNodeBuiltin, requiresIn } from '../../scripts/build-miniprogram';
import { sdkBundle } from './bundle';
import { createLogicLayerSandbox, type LogicLayerSandbox } from './sandbox';

const open: LogicLayerSandbox[] = [];
function sandbox(options?: Parameters<typeof createLogicLayerSandbox>[0]): LogicLayerSandbox {
  const s = createLogicLayerSandbox(options);
  open.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

let bundleCode = '';
beforeAll(async () => {
  bundleCode = (await sdkBundle()).code;
});

describe('the logic-layer sandbox', () => {
  it('has none of the globals WeChat lacks', () => {
    const s = sandbox();
    const missing = ['WebAssembly', 'crypto', 'TextEncoder', 'TextDecoder', 'Buffer', 'process', 'require', 'globalThis', 'module'];
    missing.push('fetch', 'WebSocket', 'XMLHttpRequest', 'setImmediate');
    for (const name of missing) expect(s.run(`typeof ${name}`), name).toBe('undefined');
    expect(s.run('typeof wx')).toBe('object');
    expect(s.run('typeof setTimeout')).toBe('function');
  });

  it('throws on Math.random, eval and new Function, but allows new Function("return this")', () => {
    const s = sandbox();
    expect(() => s.run('Math.random()')).toThrow(/Math\.random is forbidden/);
    expect(() => s.run('eval("1 + 1")')).toThrow(/Code generation from strings disallowed/);
    expect(() => s.run('(0, eval)("1 + 1")')).toThrow(/Code generation from strings disallowed/);
    expect(() => s.run('new Function("a", "return a")')).toThrow(/Code generation from strings disallowed/);
    expect(() => s.run('Function("return 1")')).toThrow(/Code generation from strings disallowed/);
    expect(() => s.run('(function () {}).constructor("return 1")')).toThrow(/Code generation from strings disallowed/);
    expect(() => s.run('setTimeout("1 + 1", 0)')).toThrow(TypeError);
    expect(s.run('new Function("return this")() === this')).toBe(true);
    expect(s.run('typeof new Function("return this")().wx')).toBe('object');
    expect(s.run('new Function("return this") instanceof Function')).toBe(true);
    expect(s.run('(function () {}) instanceof Function')).toBe(true);
  });

  it('delivers wx.getRandomValues asynchronously as an ArrayBuffer of the sandbox realm, at most 1 MiB', async () => {
    const s = sandbox();
    const result = await s.run<Promise<string>>(`new Promise(function (resolve) {
      var sync = true, log = [];
      wx.getRandomValues({ length: 16, success: function (r) {
        log.push('ok:' + sync + ':' + (r.randomValues instanceof ArrayBuffer) + ':' + r.randomValues.byteLength);
        wx.getRandomValues({ length: 1048577, fail: function (e) { log.push(e.errMsg); resolve(log.join('|')); } });
      } });
      sync = false;
    })`);
    expect(result).toBe('ok:false:true:16|getRandomValues:fail invalid length');
  });
});

describe('the SDK bundle', () => {
  it('requires nothing: no require( of any module, Node or otherwise', () => {
    expect(requiresIn(bundleCode)).toEqual([]);
    expect(bundleCode).not.toMatch(/\brequire\s*\(/);
    expect(bundleCode).not.toMatch(/["'`]node:[a-z_/]+["'`]/);
  });

  it('generates no code and parses as ES2017: no eval, no Function() beyond the globalThis binding, no BigInt literals, no Math.random, no bare TextEncoder', () => {
    // The one `new Function`: the first line binds a module-local globalThis the way WeChat allows.
    expect(bundleCode.startsWith(GLOBAL_THIS_BINDING)).toBe(true);
    expect(GLOBAL_THIS_BINDING).toContain('new Function("return this")');
    const body = bundleCode.slice(GLOBAL_THIS_BINDING.length);
    expect(body).not.toMatch(/\beval\b/);
    expect(body).not.toMatch(/\bFunction\s*\(/);
    expect(body).not.toMatch(/\b\d+n\b/);
    expect(body).not.toMatch(/Math\.random/);
    // TextEncoder/TextDecoder only as a property probed on the global object (client/src/history/utf8.ts
    // falls back to the own codec when absent, as it is here), never as a bare global.
    expect(body).not.toMatch(/(?<![.\w])(TextEncoder|TextDecoder)\b/);
  });

  it('the build fails when an entry would pull in a Node built-in', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mp-entry-'));
    try {
      const viaCrypto = join(dir, 'via-crypto.ts');
      writeFileSync(viaCrypto, `export { nodeRandom } from '${resolve('crypto/src/primitives/random')}';\n`);
      await expect(buildMiniprogramBundle({ entry: viaCrypto })).rejects.toThrow(/Node built-in "node:crypto" would be bundled/);
      const bare = join(dir, 'bare.ts');
      writeFileSync(bare, `import { readFileSync } from 'fs';\nexport const f = readFileSync;\n`);
      await expect(buildMiniprogramBundle({ entry: bare })).rejects.toThrow(/Node built-in "fs" would be bundled/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(isNodeBuiltin('fs/promises')).toBe(true);
    expect(isNodeBuiltin('@noble/curves/ed25519.js')).toBe(false);
    expect(requiresIn('a=require("ws");b=require ( \'node:fs\' )')).toEqual(['ws', 'node:fs']);
  });

  it('signs, verifies, seals and opens inside the sandbox with pool randomness, byte-identical to outside', async () => {
    const delivered: Uint8Array[] = [];
    const s = sandbox({ onRandomDelivered: (b) => delivered.push(b) });
    const sdk = s.loadModule(bundleCode);
    s.context.sdk = sdk;
    const inside = await s.run<Promise<Record<string, string | boolean | number>>>(`(async function () {
      var rt = await sdk.startCrypto({ poolCapacity: 4096 });
      var p = rt.primitives;
      var seed = p.randomBytes(32), key = p.randomBytes(32), nonce = p.randomBytes(24);
      var xPriv = p.randomBytes(32);
      var message = sdk.utf8Encode('群聊消息 hello 👋');
      var aad = sdk.utf8Encode('aad');
      var publicKey = p.ed25519PublicKey(seed);
      var signature = p.ed25519Sign(seed, message);
      var tampered = message.slice(); tampered[0] ^= 1;
      var sealed = p.xchachaSeal(key, nonce, message, aad);
      var opened = p.xchachaOpen(key, nonce, sealed, aad);
      var broken = sealed.slice(); broken[0] ^= 1;
      var openError = '';
      try { p.xchachaOpen(key, nonce, broken, aad); } catch (e) { openError = e.code; }
      var hex = sdk.bytesToHex;
      return {
        taken: hex(sdk.hexToBytes(hex(seed) + hex(key) + hex(nonce) + hex(xPriv))),
        publicKey: hex(publicKey), signature: hex(signature),
        verifies: p.ed25519Verify(publicKey, message, signature),
        tamperedVerifies: p.ed25519Verify(publicKey, tampered, signature),
        sealed: hex(sealed), opened: sdk.utf8DecodeStrict(opened), openError: openError,
        x25519Public: hex(p.x25519PublicKey(xPriv)),
        sha512: hex(p.sha512(message)),
        left: rt.pool.available(), backend: p.backend,
      };
    })()`);

    // The randomness came from wx.getRandomValues, first in first out, through the pool.
    const stream = concatBytes(...delivered);
    expect(inside.taken).toBe(bytesToHex(stream.subarray(0, 120)));
    expect(inside.left).toBe(4096 - 120);
    expect(inside.backend).toBe('noble');

    // The same operations outside the sandbox, on the same inputs, give the same bytes.
    const taken = hexToBytes(inside.taken as string);
    const seed = taken.subarray(0, 32);
    const key = taken.subarray(32, 64);
    const nonce = taken.subarray(64, 88);
    const xPriv = taken.subarray(88, 120);
    const p = createPrimitives(nobleBackend, () => {
      throw new Error('no randomness needed outside');
    });
    const message = utf8Encode('群聊消息 hello 👋');
    expect(inside.publicKey).toBe(bytesToHex(p.ed25519PublicKey(seed)));
    expect(inside.signature).toBe(bytesToHex(p.ed25519Sign(seed, message)));
    expect(inside.verifies).toBe(true);
    expect(inside.tamperedVerifies).toBe(false);
    expect(inside.sealed).toBe(bytesToHex(p.xchachaSeal(key, nonce, message, utf8Encode('aad'))));
    expect(inside.opened).toBe('群聊消息 hello 👋');
    expect(inside.openError).toBe('E2E_ERR_AUTH_FAILED');
    expect(inside.x25519Public).toBe(bytesToHex(p.x25519PublicKey(xPriv)));
    expect(inside.sha512).toBe(bytesToHex(p.sha512(message)));
  });

  it('fails closed when wx.getRandomValues fails: startCrypto rejects, nothing falls back', async () => {
    const s = sandbox({
      fillRandom: () => {
        throw new Error('entropy source down');
      },
    });
    s.context.sdk = s.loadModule(bundleCode);
    // The fake wx answers through fail(); the adapter turns it into a typed error.
    const codes = await s.run<Promise<string[]>>(`Promise.all([
      sdk.startCrypto({ poolCapacity: 64 }).then(function () { return 'started'; }, function (e) { return e.code || e.message; }),
      sdk.startCrypto({ wx: {} }).then(function () { return 'started'; }, function (e) { return e.code || e.message; }),
    ])`);
    expect(codes).toEqual(['E2E_ERR_RANDOM_FAILED', 'E2E_ERR_RANDOM_FAILED']);
  });
});

describe('wx.getFileSystemManager: user files in a host directory, confined, with a quota', () => {
  it('writes, appends, reads (ArrayBuffer or text), lists, stats, renames and unlinks, in wx shapes', async () => {
    const s = sandbox();
    const log = await s.run<Promise<string[]>>(`new Promise(function (resolve) {
      var fs = wx.getFileSystemManager(), root = wx.env.USER_DATA_PATH + '/t', out = [];
      function step(api, opts, then) {
        opts.success = function (r) { then(r); };
        opts.fail = function (e) { out.push(api + '!' + e.errMsg); then(null); };
        fs[api](opts);
      }
      step('mkdir', { dirPath: root + '/a/b', recursive: true }, function () {
        step('writeFile', { filePath: root + '/a/f', data: new Uint8Array([1, 2, 3]).buffer }, function () {
          step('appendFile', { filePath: root + '/a/f', data: new Uint8Array([4]).buffer }, function () {
            step('readFile', { filePath: root + '/a/f' }, function (r) {
              out.push('bytes:' + (r.data instanceof ArrayBuffer) + ':' + Array.prototype.join.call(new Uint8Array(r.data), ','));
              step('writeFile', { filePath: root + '/a/t.txt', data: '你好', encoding: 'utf8' }, function () {
                step('readFile', { filePath: root + '/a/t.txt', encoding: 'utf8' }, function (r2) {
                  out.push('text:' + r2.data);
                  step('readdir', { dirPath: root + '/a' }, function (r3) {
                    out.push('dir:' + r3.files.join(','));
                    step('stat', { path: root + '/a/b' }, function (r4) {
                      out.push('stat:' + r4.stats.isDirectory() + ':' + r4.stats.isFile());
                      step('rename', { oldPath: root + '/a/f', newPath: root + '/a/g' }, function () {
                        step('unlink', { filePath: root + '/a/g' }, function () {
                          step('readFile', { filePath: root + '/a/g' }, function () {
                            step('appendFile', { filePath: root + '/a/new', data: 'x' }, function () { resolve(out); });
                          });
                        });
                      });
                    });
                  });
                });
              });
            });
          });
        });
      });
    })`);
    expect(log).toEqual([
      'bytes:true:1,2,3,4',
      'text:你好',
      'dir:b,f,t.txt',
      'stat:true:false',
      expect.stringMatching(/^readFile!readFile:fail no such file or directory, wxfile:\/\/usr\/t\/a\/g$/),
      expect.stringMatching(/^appendFile!appendFile:fail no such file or directory/),
    ]);
  });

  it('refuses paths outside USER_DATA_PATH (other schemes, absolute host paths, .. escapes) and writes over the quota', async () => {
    const s = sandbox({ userDataQuotaBytes: 1000 });
    const errors = await s.run<Promise<string[]>>(`Promise.all([
      ['readFile', { filePath: '/etc/passwd' }],
      ['readFile', { filePath: 'wxfile://usr/../../../etc/passwd' }],
      ['writeFile', { filePath: 'wxfile://tmp/x', data: 'x' }],
      ['writeFile', { filePath: 'wxfile://usrx/y', data: 'x' }],
      ['writeFile', { filePath: wx.env.USER_DATA_PATH + '/big', data: new ArrayBuffer(1001) }],
      ['writeFile', { filePath: wx.env.USER_DATA_PATH + '/view', data: new Uint8Array(4) }],
    ].map(function (c) {
      return new Promise(function (resolve) {
        c[1].success = function () { resolve('ok'); };
        c[1].fail = function (e) { resolve(e.errMsg); };
        wx.getFileSystemManager()[c[0]](c[1]);
      });
    }))`);
    expect(errors).toEqual([
      'readFile:fail permission denied, /etc/passwd',
      'readFile:fail permission denied, wxfile://usr/../../../etc/passwd',
      'writeFile:fail permission denied, wxfile://tmp/x',
      'writeFile:fail permission denied, wxfile://usrx/y',
      'writeFile:fail the maximum size of the file storage limit is exceeded',
      'writeFile:fail data must be a string or ArrayBuffer',
    ]);
  });

  it("the bundled client store keeps keys and logs in user files across a restart of the mini program", async () => {
    const first = sandbox();
    first.context.sdk = first.loadModule(bundleCode);
    const script = (body: string) => `(async function () {
      var store = await sdk.openFsmStore(wx.getFileSystemManager(), wx.env.USER_DATA_PATH + '/e2ee');
      ${body}
    })()`;
    await first.run<Promise<void>>(
      script(`
      await store.put('identity', sdk.utf8Encode('not really a key'));
      await store.append('history-g1', [sdk.utf8Encode('第一条'), sdk.utf8Encode('second')]);
      await store.close();`),
    );
    // A new logic layer (the app was killed and relaunched) on the same user data.
    const second = sandbox({ userDataDir: first.userDataDir });
    second.context.sdk = second.loadModule(bundleCode);
    const read = await second.run<Promise<string[]>>(
      script(`
      var out = [sdk.utf8DecodeStrict(await store.get('identity'))];
      var records = await store.readLog('history-g1');
      for (var i = 0; i < records.length; i++) out.push(sdk.utf8DecodeStrict(records[i]));
      out.push((await store.keys('')).join(','), (await store.logs()).join(','));
      await store.close();
      return out;`),
    );
    expect(read).toEqual(['not really a key', '第一条', 'second', 'identity', 'history-g1']);
  });
});

describe('without JIT', () => {
  it('the bundle starts in the sandbox in a `node --jitless` process (the bench child), with no WebAssembly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mp-jitless-'));
    try {
      const bundlePath = join(dir, 'sdk.js');
      writeFileSync(bundlePath, bundleCode);
      const child = spawnSync(
        process.execPath,
        ['--jitless', '--no-warnings', '--import', 'tsx', 'miniprogram/test/sandbox-bench-child.ts', 'cold', bundlePath],
        { cwd: resolve(dirname(fileURLToPath(import.meta.url)), '../..'), encoding: 'utf8', timeout: 60_000 },
      );
      expect(child.stderr).not.toMatch(/Error/); // V8 itself warns that --jitless disables WebAssembly
      expect(child.status).toBe(0);
      const out = JSON.parse(child.stdout) as { coldStartMs: number; jitless: boolean; wasm: boolean; bundleBytes: number };
      expect(out).toMatchObject({ jitless: true, wasm: false, bundleBytes: Buffer.byteLength(bundleCode) });
      expect(out.coldStartMs).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('wx.connectSocket and wx.request reach real servers on 127.0.0.1', () => {
  let wss: WebSocketServer | null = null;
  let http: Server | null = null;
  afterEach(async () => {
    if (wss) {
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => wss!.close(r));
      wss = null;
    }
    if (http) {
      http.closeAllConnections();
      await new Promise((r) => http!.close(r));
      http = null;
    }
  });

  async function echoServer(): Promise<number> {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    wss.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
    await once(wss, 'listening');
    return (wss.address() as AddressInfo).port;
  }

  it('SocketTask round trip: binary ArrayBuffer and text frames echo back, close reports the code', async () => {
    const port = await echoServer();
    const s = sandbox();
    const result = await s.run<Promise<string[]>>(`new Promise(function (resolve) {
      var log = [], sent = false;
      var task = wx.connectSocket({ url: 'ws://127.0.0.1:${port}/ws', success: function () { log.push('created'); } });
      task.onOpen(function () {
        log.push('open');
        var bytes = new Uint8Array([0, 1, 2, 253, 254, 255]);
        // The send callback and the echo race (as on a phone), so 'sent' is recorded apart.
        task.send({ data: bytes.buffer, success: function () { sent = true; } });
      });
      task.onMessage(function (m) {
        if (m.data instanceof ArrayBuffer) {
          log.push('binary:' + Array.prototype.join.call(new Uint8Array(m.data), ','));
          task.send({ data: '你好' });
        } else {
          log.push('text:' + m.data, 'sent:' + sent);
          task.close({ code: 1000, reason: 'done' });
        }
      });
      task.onClose(function (e) { log.push('close:' + e.code); resolve(log); });
      task.onError(function (e) { log.push('error:' + e.errMsg); resolve(log); });
    })`);
    expect(result).toEqual(['created', 'open', 'binary:0,1,2,253,254,255', 'text:你好', 'sent:true', 'close:1000']);
  });

  it('refuses a typed-array view, hosts other than 127.0.0.1, and a sixth socket', async () => {
    const port = await echoServer();
    const s = sandbox();
    const result = await s.run<Promise<string[]>>(`new Promise(function (resolve) {
      var log = [], tasks = [], opened = 0;
      wx.connectSocket({ url: 'wss://example.com/ws', fail: function (e) { log.push(e.errMsg); } });
      for (var i = 0; i < 5; i++) {
        var t = wx.connectSocket({ url: 'ws://127.0.0.1:${port}/' + i });
        tasks.push(t);
        t.onOpen(function () {
          if (++opened < 5) return;
          wx.connectSocket({ url: 'ws://127.0.0.1:${port}/6', fail: function (e) {
            log.push(e.errMsg);
            tasks[0].send({ data: new Uint8Array([1]), fail: function (e2) { log.push(e2.errMsg); resolve(log); } });
          } });
        });
      }
    })`);
    expect(result).toEqual([
      'connectSocket:fail url not in domain list',
      'connectSocket:fail exceed max task count (5)',
      'sendSocketMessage:fail data must be a string or ArrayBuffer',
    ]);
    expect(s.stats.openSockets).toBe(5);
  });

  it('wx.request: POST an ArrayBuffer, get it back as an ArrayBuffer; JSON and text bodies', async () => {
    http = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        if (req.url === '/echo') {
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          res.end(Buffer.from(body.map((b) => b ^ 0xff)));
        } else {
          res.writeHead(201, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ method: req.method, length: body.length, type: req.headers['content-type'] ?? null, url: req.url }));
        }
      });
    });
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    const port = (http.address() as AddressInfo).port;
    const s = sandbox();
    const result = await s.run<Promise<unknown[]>>(`new Promise(function (resolve) {
      var out = [];
      wx.request({ url: 'http://127.0.0.1:${port}/echo', method: 'POST', data: new Uint8Array([1, 2, 3]).buffer,
        responseType: 'arraybuffer',
        success: function (r) {
          out.push(r.statusCode, r.data instanceof ArrayBuffer, Array.prototype.slice.call(new Uint8Array(r.data)));
          wx.request({ url: 'http://127.0.0.1:${port}/json', method: 'PUT', data: { a: 1 },
            success: function (r2) {
              out.push(r2.statusCode, r2.data.method, r2.data.length, r2.data.type, r2.data instanceof Object);
              wx.request({ url: 'http://127.0.0.1:${port}/json?a=1', data: { q: '群 聊', n: 2 }, success: function (r3) {
                out.push(r3.data.method, r3.data.url);
                wx.request({ url: 'http://localhost:${port}/json', fail: function (e) { out.push(e.errMsg); resolve(out); } });
              } });
            } });
        },
        fail: function (e) { out.push(e.errMsg); resolve(out); } });
    })`);
    expect(result).toEqual([
      200, true, [254, 253, 252],
      201, 'PUT', 7, 'application/json', true,
      'GET', '/json?a=1&q=%E7%BE%A4%20%E8%81%8A&n=2',
      'request:fail url not in domain list',
    ]);
  });
});
