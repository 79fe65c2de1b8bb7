// LocalStore on a Node directory, readable by its owner only.
//
//   <dir>/            0700
//     kv/<name>       0600  one frame (length, CRC-32, value); replaced by temp + fsync + rename
//     log/<name>      0600  frames appended and fsync'd; a torn tail is cut at the next append
//     */.<name>.tmp-* 0600  a write in progress; removed at open (a crash left it behind)
//
// File names come from names.ts (injective, no '/', no '..', case-insensitive safe).
import { constants, promises as fs, write as fsWrite, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { STORE_CLOSED, STORE_IN_USE, STORE_IO, STORE_UNSAFE, storeError } from './errors';
import { decodeFrames, encodeFrames } from './frame';
import { frameStoreValue, unframeStoreValue } from './value';
import { assertName, assertPrefix, fileToName, nameToFile } from './names';
import { createKeyedSerial } from './serial';
import type { LocalStore } from './types';

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

export interface NodeStoreOptions {
  /** fsync files and directories after writes (default true). Off only for throwaway benches. */
  fsync?: boolean;
}

/**
 * Writes up to this size are made with synchronous calls. Every asynchronous fs call is a
 * round trip through libuv's thread pool that costs about six times the syscall itself (a
 * 300-byte append: ~45 us of CPU against ~7 us); a small write into the page cache never
 * waits on the disk, so doing it inline blocks nothing. Opening, renaming and fsyncing,
 * which can wait, and large writes (a history snapshot, a compaction) stay asynchronous.
 */
export const SYNC_WRITE_MAX_BYTES = 256 * 1024;

/** Writes all of `data` at the file's position (append mode: its end). */
async function writeAll(fd: number, data: Uint8Array): Promise<void> {
  if (data.length <= SYNC_WRITE_MAX_BYTES) {
    for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
    return;
  }
  for (let off = 0; off < data.length; ) {
    off += await new Promise<number>((resolve, reject) => {
      // position null: the current file position (the end, for a log opened to append)
      fsWrite(fd, data, off, data.length - off, null, (e, n) => (e ? reject(e) : resolve(n)));
    });
  }
}

function ioError(operation: string, cause: unknown): Error {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? 'unknown';
  return storeError(STORE_IO, `local store ${operation} failed (${code})`, operation);
}

/** Node returns Buffers, whose slice() is a view; the store hands out plain, owned Uint8Arrays. */
async function readPlain(path: string): Promise<Uint8Array> {
  const b = await fs.readFile(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function isMissing(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

async function ensurePrivateDir(path: string): Promise<void> {
  await fs.mkdir(path, { recursive: true, mode: DIR_MODE });
  const st = await fs.stat(path);
  if (!st.isDirectory()) throw storeError(STORE_UNSAFE, 'the store path is not a directory', 'openNodeStore');
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) {
    throw storeError(STORE_UNSAFE, 'the store directory is owned by another user', 'openNodeStore');
  }
  if ((st.mode & 0o777) !== DIR_MODE) await fs.chmod(path, DIR_MODE);
}

/** Removes leftovers of interrupted writes and tightens modes of files an older version or a user loosened. */
async function tidyDir(path: string): Promise<void> {
  for (const entry of await fs.readdir(path)) {
    const file = join(path, entry);
    if (entry.startsWith('.') && entry.includes('.tmp-')) {
      await fs.rm(file, { force: true });
      continue;
    }
    const st = await fs.lstat(file);
    if (st.isFile() && (st.mode & 0o777) !== FILE_MODE) await fs.chmod(file, FILE_MODE);
  }
}

/** Directories this process has open (a second open in the same process is refused too). */
const openDirs = new Set<string>();

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by someone else
  }
}

/** Takes `<dir>/lock` (O_EXCL), taking over a lock whose process has exited. */
async function acquireLock(dir: string): Promise<string> {
  const path = join(dir, 'lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const h = await fs.open(path, 'wx', FILE_MODE);
      await h.writeFile(String(process.pid));
      await h.close();
      return path;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = Number((await fs.readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && processAlive(holder)) {
      throw storeError(STORE_IN_USE, 'the store directory is open in another process', 'openNodeStore');
    }
    // Stale: its process is gone, or the PID is ours (a failed open, or a container where the
    // previous run had the same PID; a second open in this process was refused before).
    await fs.rm(path, { force: true });
  }
  throw storeError(STORE_IN_USE, 'the store lock could not be taken', 'openNodeStore');
}

export async function openNodeStore(dir: string, options: NodeStoreOptions = {}): Promise<LocalStore> {
  if (typeof dir !== 'string' || dir.length === 0) throw new TypeError('"dir" expected a non-empty path');
  const doSync = options.fsync ?? true;
  const kvDir = join(dir, 'kv');
  const logDir = join(dir, 'log');
  const key = resolve(dir);
  if (openDirs.has(key)) throw storeError(STORE_IN_USE, 'the store directory is already open in this process', 'openNodeStore');
  openDirs.add(key); // before any await: a concurrent open in this process must see it
  let lockPath: string;
  try {
    await ensurePrivateDir(dir);
    lockPath = await acquireLock(dir);
    await ensurePrivateDir(kvDir);
    await ensurePrivateDir(logDir);
    await tidyDir(kvDir);
    await tidyDir(logDir);
  } catch (e) {
    openDirs.delete(key);
    if ((e as { code?: string }).code?.startsWith('E2E_ERR_')) throw e;
    throw ioError('openNodeStore', e);
  }

  const serial = createKeyedSerial();
  const handles = new Map<string, fs.FileHandle>();
  let tmpCounter = 0;
  let closed = false;

  const kvPath = (key: string) => join(kvDir, nameToFile(key));
  const logPath = (name: string) => join(logDir, nameToFile(name));
  const tmpPath = (dirPath: string, file: string) => join(dirPath, `.${file}.tmp-${process.pid}-${tmpCounter++}`);

  async function syncDir(path: string): Promise<void> {
    if (!doSync) return;
    const h = await fs.open(path, constants.O_RDONLY);
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  }

  /**
   * temp file (0600, exclusive) + fsync + rename + fsync of the directory. Creating and
   * renaming stay asynchronous: they take a journal handle and can wait behind another
   * process's commit for milliseconds, which must not stall the event loop.
   */
  async function writeAtomically(dirPath: string, file: string, data: Uint8Array): Promise<void> {
    const tmp = tmpPath(dirPath, file);
    const h = await fs.open(tmp, 'wx', FILE_MODE);
    try {
      await writeAll(h.fd, data);
      if (doSync) await h.sync();
    } catch (e) {
      await h.close().catch(() => undefined);
      await fs.rm(tmp, { force: true });
      throw e;
    }
    await h.close();
    await fs.rename(tmp, join(dirPath, file));
    await syncDir(dirPath);
  }

  async function closeHandle(name: string): Promise<void> {
    const h = handles.get(name);
    if (h) {
      handles.delete(name);
      await h.close();
    }
  }

  /** Opens a log for appending; cuts a torn tail first so new frames never follow garbage. */
  async function appendHandle(name: string): Promise<fs.FileHandle> {
    const cached = handles.get(name);
    if (cached) return cached;
    const path = logPath(name);
    let existing: Uint8Array | undefined;
    try {
      existing = await readPlain(path);
    } catch (e) {
      if (!isMissing(e)) throw e;
    }
    if (existing) {
      const { validLength } = decodeFrames(existing);
      if (validLength < existing.length) await fs.truncate(path, validLength);
    }
    const h = await fs.open(path, 'a', FILE_MODE);
    if (!existing) await syncDir(logDir);
    handles.set(name, h);
    return h;
  }

  /** `file`: the kv key or log the operation touches (its order); null: all of them. */
  function run<T>(operation: string, file: string | null, body: () => Promise<T>): Promise<T> {
    const guarded = async () => {
      if (closed) throw storeError(STORE_CLOSED, 'the store is closed', operation);
      try {
        return await body();
      } catch (e) {
        if ((e as { code?: string }).code?.startsWith('E2E_ERR_')) throw e;
        throw ioError(operation, e);
      }
    };
    return file === null ? serial.exclusive(guarded) : serial.run(file, guarded);
  }

  return {
    kind: 'node-files',
    async get(key) {
      assertName('key', key);
      return run('get', `kv:${key}`, async () => {
        let bytes: Uint8Array;
        try {
          bytes = await readPlain(kvPath(key));
        } catch (e) {
          if (isMissing(e)) return undefined;
          throw e;
        }
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
      return run('delete', `kv:${key}`, async () => {
        await fs.rm(kvPath(key), { force: true });
        await syncDir(kvDir);
      });
    },
    async keys(prefix) {
      assertPrefix(prefix);
      return run('keys', null, async () => {
        const names = (await fs.readdir(kvDir)).map(fileToName).filter((n): n is string => n !== null);
        return names.filter((n) => n.startsWith(prefix)).sort();
      });
    },
    async append(name, records) {
      assertName('name', name);
      const framed = encodeFrames(records);
      return run('append', `log:${name}`, async () => {
        const h = await appendHandle(name);
        if (framed.length > 0) {
          await writeAll(h.fd, framed);
          if (doSync) await h.datasync();
        }
      });
    },
    async readLog(name) {
      assertName('name', name);
      return run('readLog', `log:${name}`, async () => {
        try {
          return decodeFrames(await readPlain(logPath(name))).records;
        } catch (e) {
          if (isMissing(e)) return [];
          throw e;
        }
      });
    },
    async rewriteLog(name, records) {
      assertName('name', name);
      const framed = encodeFrames(records);
      return run('rewriteLog', `log:${name}`, async () => {
        await closeHandle(name);
        await writeAtomically(logDir, nameToFile(name), framed);
      });
    },
    async deleteLog(name) {
      assertName('name', name);
      return run('deleteLog', `log:${name}`, async () => {
        await closeHandle(name);
        await fs.rm(logPath(name), { force: true });
        await syncDir(logDir);
      });
    },
    async logs() {
      return run('logs', null, async () =>
        (await fs.readdir(logDir)).map(fileToName).filter((n): n is string => n !== null).sort(),
      );
    },
    async close() {
      return serial.exclusive(async () => {
        if (closed) return;
        closed = true;
        try {
          for (const name of [...handles.keys()]) await closeHandle(name);
          await fs.rm(lockPath, { force: true });
        } finally {
          openDirs.delete(key);
        }
      });
    },
  };
}
