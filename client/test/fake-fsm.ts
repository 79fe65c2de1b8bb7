// A Node-backed stand-in for wx.getFileSystemManager(): the PLATFORM double under the
// fsm store (the store itself is real). It keeps wx's shapes: option objects, async
// success/fail callbacks, ArrayBuffer data, and errMsg strings such as
// "readFile:fail no such file or directory, open <path>".
import { promises as fs } from 'node:fs';
import type { FileSystemManagerLike, FsmFail } from '../src/store/fsm-store';

type Cb = { success?: (r: never) => void; fail?: (e: FsmFail) => void };

function settle<T>(api: string, path: string, cb: Cb, work: Promise<T>, shape: (v: T) => unknown): void {
  work.then(
    (v) => setImmediate(() => (cb.success as ((r: unknown) => void) | undefined)?.(shape(v))),
    (e: NodeJS.ErrnoException) => {
      const reason = e.code === 'ENOENT' ? 'no such file or directory' : e.code === 'EEXIST' ? 'file already exists' : String(e.code);
      setImmediate(() => cb.fail?.({ errMsg: `${api}:fail ${reason}, ${path}` }));
    },
  );
}

export interface FakeFsmOptions {
  /**
   * Called before every write-like call; throwing makes that call fail like a full disk,
   * and a returned promise holds the call until it settles (a slow disk).
   */
  beforeWrite?: (api: string, path: string) => void | Promise<void>;
}

export function createNodeBackedFsm(options: FakeFsmOptions = {}): FileSystemManagerLike & { calls: string[] } {
  const calls: string[] = [];
  const guard = async (api: string, path: string) => {
    calls.push(api);
    await options.beforeWrite?.(api, path);
  };
  return {
    calls,
    readFile(o) {
      calls.push('readFile');
      settle('readFile', o.filePath, o as Cb, fs.readFile(o.filePath), (b) => ({
        data: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength),
        errMsg: 'readFile:ok',
      }));
    },
    writeFile(o) {
      settle('writeFile', o.filePath, o as Cb, guard('writeFile', o.filePath).then(() => fs.writeFile(o.filePath, new Uint8Array(o.data))), () => ({ errMsg: 'writeFile:ok' }));
    },
    appendFile(o) {
      settle('appendFile', o.filePath, o as Cb, guard('appendFile', o.filePath).then(() => fs.appendFile(o.filePath, new Uint8Array(o.data))), () => ({ errMsg: 'appendFile:ok' }));
    },
    rename(o) {
      settle('rename', o.oldPath, o as Cb, guard('rename', o.newPath).then(() => fs.rename(o.oldPath, o.newPath)), () => ({ errMsg: 'rename:ok' }));
    },
    unlink(o) {
      settle('unlink', o.filePath, o as Cb, guard('unlink', o.filePath).then(() => fs.unlink(o.filePath)), () => ({ errMsg: 'unlink:ok' }));
    },
    mkdir(o) {
      settle('mkdir', o.dirPath, o as Cb, guard('mkdir', o.dirPath).then(() => fs.mkdir(o.dirPath, { recursive: !!o.recursive })), () => ({ errMsg: 'mkdir:ok' }));
    },
    stat(o) {
      calls.push('stat');
      settle('stat', o.path, o as Cb, fs.stat(o.path), (st) => ({
        stats: { size: st.size, mode: st.mode, isDirectory: () => st.isDirectory(), isFile: () => st.isFile() },
        errMsg: 'stat:ok',
      }));
    },
    readdir(o) {
      calls.push('readdir');
      settle('readdir', o.dirPath, o as Cb, fs.readdir(o.dirPath), (files) => ({ files, errMsg: 'readdir:ok' }));
    },
  };
}
