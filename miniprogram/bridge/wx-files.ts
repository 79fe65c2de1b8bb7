// RuntimeFiles on wx.getFileSystemManager(): reads what the user picked (temp paths from
// chooseMedia / chooseMessageFile / the recorder) and keeps decrypted attachments under
// wx.env.USER_DATA_PATH/attachments (user files: 200 MB per mini program, app sandbox).
import type { RuntimeFiles } from './runtime';

type Cb<S> = { success?: (r: S) => void; fail?: (e: { errMsg?: string }) => void };

export interface WxFilesLike {
  env: { USER_DATA_PATH: string };
  getFileSystemManager(): {
    readFile(o: { filePath: string } & Cb<{ data: string | ArrayBuffer }>): void;
    writeFile(o: { filePath: string; data: ArrayBuffer } & Cb<unknown>): void;
    mkdir(o: { dirPath: string; recursive?: boolean } & Cb<unknown>): void;
  };
}

/** Largest file the runtime reads into memory to encrypt (WeChat's own picker caps are lower). */
export const MAX_PICKED_FILE_BYTES = 100 * 1024 * 1024;

function call<S>(fn: (cb: Cb<S>) => void, what: string): Promise<S> {
  return new Promise((resolve, reject) => fn({ success: resolve, fail: () => reject(new Error(`${what} failed`)) }));
}

/** A file name safe on every platform: no separators, no dots-only, at most 80 characters. */
export function safeFileName(name: string): string {
  const cleaned = name.replace(/[\\/:*?"<>|\u0000-\u001f]/g, '_').replace(/^\.+/, '_').slice(0, 80);
  return cleaned || 'file';
}

export function wxFiles(api: WxFilesLike): RuntimeFiles {
  const fsm = api.getFileSystemManager();
  const dir = `${api.env.USER_DATA_PATH}/attachments`;
  let made: Promise<unknown> | null = null;
  return {
    async read(path) {
      const r = await call<{ data: string | ArrayBuffer }>((cb) => fsm.readFile({ filePath: path, ...cb }), 'readFile');
      if (typeof r.data === 'string') throw new TypeError('readFile returned text; expected binary data');
      if (r.data.byteLength > MAX_PICKED_FILE_BYTES) throw new RangeError(`file over ${MAX_PICKED_FILE_BYTES} bytes`);
      return new Uint8Array(r.data.slice(0));
    },
    async write(name, bytes) {
      made ??= call((cb) => fsm.mkdir({ dirPath: dir, recursive: true, ...cb }), 'mkdir').catch(() => undefined);
      await made;
      const path = `${dir}/${safeFileName(name)}`;
      const data = new ArrayBuffer(bytes.length);
      new Uint8Array(data).set(bytes);
      await call((cb) => fsm.writeFile({ filePath: path, data, ...cb }), 'writeFile');
      return path;
    },
  };
}
