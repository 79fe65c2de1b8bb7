// LocalStore on the mini program's file system manager (wx.getFileSystemManager()).
//
// Written against `FileSystemManagerLike`, the subset of wx's FileSystemManager this store
// calls, with wx's option-object + success/fail callback shape, so the mini program passes
// the real manager and tests pass a Node-backed fake. Same layout and framing as the Node
// store, under a root such as `${wx.env.USER_DATA_PATH}/e2ee`:
//   <root>/kv/<name>, <root>/log/<name>, <root>/*/.<name>.tmp-<n> (removed at open)
// wx offers no fsync: a rename is as durable as the platform makes it (docs/CLIENT-STORAGE.md).
// wx.setStorage (1 MB per key, 10 MB in all) is not used; user files may hold 200 MB.
import { STORE_CLOSED, STORE_CORRUPT, STORE_IO, storeError } from './errors';
import { decodeFrames, encodeFrames } from './frame';
import { frameStoreValue, unframeStoreValue } from './value';
import { assertName, assertPrefix, fileToName, nameToFile } from './names';
import { createKeyedSerial } from './serial';
import type { LocalStore } from './types';

export interface FsmFail {
  errMsg: string;
  errCode?: number;
}
interface Callbacks<T> {
  success?: (result: T) => void;
  fail?: (error: FsmFail) => void;
}
export interface FsmStats {
  size: number;
  isDirectory(): boolean;
  isFile(): boolean;
}

/** The subset of WechatMiniprogram.FileSystemManager used here (same names and option shapes). */
export interface FileSystemManagerLike {
  readFile(option: { filePath: string } & Callbacks<{ data: string | ArrayBuffer }>): void;
  writeFile(option: { filePath: string; data: ArrayBuffer } & Callbacks<unknown>): void;
  appendFile(option: { filePath: string; data: ArrayBuffer } & Callbacks<unknown>): void;
  rename(option: { oldPath: string; newPath: string } & Callbacks<unknown>): void;
  unlink(option: { filePath: string } & Callbacks<unknown>): void;
  mkdir(option: { dirPath: string; recursive?: boolean } & Callbacks<unknown>): void;
  stat(option: { path: string } & Callbacks<{ stats: FsmStats }>): void;
  readdir(option: { dirPath: string } & Callbacks<{ files: string[] }>): void;
}

class FsmCallError extends Error {
  constructor(readonly errMsg: string) {
    super('file system manager call failed');
  }
}

function call<T>(invoke: (cb: Callbacks<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    invoke({ success: resolve, fail: (e) => reject(new FsmCallError(String(e?.errMsg ?? ''))) });
  });
}

/** wx reports a missing path only in errMsg ("... no such file or directory ..."). */
function isMissing(e: unknown): boolean {
  return e instanceof FsmCallError && /no such file|not exist|ENOENT/i.test(e.errMsg);
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

function toBytes(data: string | ArrayBuffer): Uint8Array {
  if (typeof data === 'string') throw storeError(STORE_CORRUPT, 'file read returned text, expected binary', 'readFile');
  return new Uint8Array(data);
}

export async function openFsmStore(fsm: FileSystemManagerLike, root: string): Promise<LocalStore> {
  if (!fsm || typeof fsm.readFile !== 'function') throw new TypeError('"fsm" expected a FileSystemManager');
  if (typeof root !== 'string' || root.length === 0) throw new TypeError('"root" expected a non-empty path');
  const base = root.replace(/\/+$/, '');
  const kvDir = `${base}/kv`;
  const logDir = `${base}/log`;
  let tmpCounter = 0;

  const mkdir = async (dirPath: string) => {
    try {
      await call((cb) => fsm.mkdir({ dirPath, recursive: true, ...cb }));
    } catch (e) {
      // "already exists" is fine; anything else shows up at the stat below.
    }
    const { stats } = await call<{ stats: FsmStats }>((cb) => fsm.stat({ path: dirPath, ...cb }));
    if (!stats.isDirectory()) throw storeError(STORE_IO, 'the store path is not a directory', 'openFsmStore');
  };
  const readdir = async (dirPath: string) => (await call<{ files: string[] }>((cb) => fsm.readdir({ dirPath, ...cb }))).files;
  const readBytes = async (filePath: string): Promise<Uint8Array | undefined> => {
    try {
      return toBytes((await call<{ data: string | ArrayBuffer }>((cb) => fsm.readFile({ filePath, ...cb }))).data);
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
  };
  const unlink = async (filePath: string) => {
    try {
      await call((cb) => fsm.unlink({ filePath, ...cb }));
    } catch (e) {
      if (!isMissing(e)) throw e;
    }
  };
  const writeAtomically = async (dirPath: string, file: string, data: Uint8Array) => {
    const tmp = `${dirPath}/.${file}.tmp-${tmpCounter++}`;
    await call((cb) => fsm.writeFile({ filePath: tmp, data: toArrayBuffer(data), ...cb }));
    await call((cb) => fsm.rename({ oldPath: tmp, newPath: `${dirPath}/${file}`, ...cb }));
  };

  try {
    for (const d of [base, kvDir, logDir]) await mkdir(d);
    for (const d of [kvDir, logDir]) {
      for (const f of await readdir(d)) if (f.startsWith('.') && f.includes('.tmp-')) await unlink(`${d}/${f}`);
    }
  } catch (e) {
    if ((e as { code?: string }).code?.startsWith('E2E_ERR_')) throw e;
    throw storeError(STORE_IO, 'local store open failed', 'openFsmStore');
  }

  const serial = createKeyedSerial();
  const checkedLogs = new Set<string>();
  let closed = false;
  const kvPath = (key: string) => `${kvDir}/${nameToFile(key)}`;
  const logPath = (name: string) => `${logDir}/${nameToFile(name)}`;

  /** `file`: the kv key or log the operation touches (its order); null: all of them. */
  function run<T>(operation: string, file: string | null, body: () => Promise<T>): Promise<T> {
    const guarded = async () => {
      if (closed) throw storeError(STORE_CLOSED, 'the store is closed', operation);
      try {
        return await body();
      } catch (e) {
        if ((e as { code?: string }).code?.startsWith('E2E_ERR_')) throw e;
        throw storeError(STORE_IO, `local store ${operation} failed`, operation);
      }
    };
    return file === null ? serial.exclusive(guarded) : serial.run(file, guarded);
  }

  return {
    kind: 'wx-fsm',
    async get(key) {
      assertName('key', key);
      return run('get', `kv:${key}`, async () => {
        const bytes = await readBytes(kvPath(key));
        if (!bytes) return undefined;
        return unframeStoreValue(bytes);
      });
    },
    async put(key, value) {
      assertName('key', key);
      const framed = frameStoreValue(value);
      return run('put', `kv:${key}`, () => writeAtomically(kvDir, nameToFile(key), framed));
    },
    async delete(key) {
      assertName('key', key);
      return run('delete', `kv:${key}`, () => unlink(kvPath(key)));
    },
    async keys(prefix) {
      assertPrefix(prefix);
      return run('keys', null, async () =>
        (await readdir(kvDir))
          .map(fileToName)
          .filter((n): n is string => n !== null && n.startsWith(prefix))
          .sort(),
      );
    },
    async append(name, records) {
      assertName('name', name);
      const framed = encodeFrames(records);
      return run('append', `log:${name}`, async () => {
        const path = logPath(name);
        if (!checkedLogs.has(name)) {
          // Cut a torn tail (wx has no truncate in the subset: rewrite the intact prefix).
          const existing = await readBytes(path);
          if (existing) {
            const { validLength } = decodeFrames(existing);
            if (validLength < existing.length) await writeAtomically(logDir, nameToFile(name), existing.subarray(0, validLength));
          } else {
            await call((cb) => fsm.writeFile({ filePath: path, data: new ArrayBuffer(0), ...cb }));
          }
          checkedLogs.add(name);
        }
        if (framed.length > 0) await call((cb) => fsm.appendFile({ filePath: path, data: toArrayBuffer(framed), ...cb }));
      });
    },
    async readLog(name) {
      assertName('name', name);
      return run('readLog', `log:${name}`, async () => {
        const bytes = await readBytes(logPath(name));
        return bytes ? decodeFrames(bytes).records : [];
      });
    },
    async rewriteLog(name, records) {
      assertName('name', name);
      const framed = encodeFrames(records);
      return run('rewriteLog', `log:${name}`, async () => {
        await writeAtomically(logDir, nameToFile(name), framed);
        checkedLogs.add(name);
      });
    },
    async deleteLog(name) {
      assertName('name', name);
      return run('deleteLog', `log:${name}`, async () => {
        await unlink(logPath(name));
        checkedLogs.delete(name);
      });
    },
    async logs() {
      return run('logs', null, async () =>
        (await readdir(logDir)).map(fileToName).filter((n): n is string => n !== null).sort(),
      );
    },
    async close() {
      return serial.exclusive(async () => {
        closed = true;
      });
    },
  };
}
