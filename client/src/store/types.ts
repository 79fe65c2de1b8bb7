// The SDK's local storage interface: a small key-value store plus named append-only logs.
//
// Every method is asynchronous because the mini program's file system manager is
// (wx.getFileSystemManager() answers through callbacks). Three implementations share
// one behaviour, checked by one contract test (store/contract.test.ts):
//   - node-store.ts     a directory of owner-only files (0700 dir, 0600 files), fsync'd
//   - memory-store.ts   in memory, for tests of other parts
//   - fsm-store.ts      written against the subset of wx's FileSystemManager it uses
//
// Key-value writes are atomic: a reader sees the old value or the new one, never a mix
// (temp file, fsync, rename). Log appends are framed (length + CRC-32), so a torn tail
// left by a crash is detected and dropped on the next read instead of being parsed.

/** Which implementation a store is; for diagnostics and docs, never for branching in SDK code. */
export type StoreKind = 'node-files' | 'memory' | 'wx-fsm';

export interface LocalStore {
  readonly kind: StoreKind;

  /** The value stored under `key`, or undefined. The returned bytes are the caller's to keep. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Stores `value` under `key`, replacing any old value atomically. Durable when it resolves. */
  put(key: string, value: Uint8Array): Promise<void>;
  /** Removes `key`; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Every key that starts with `prefix`, sorted. */
  keys(prefix: string): Promise<string[]>;

  /**
   * Appends records to the log `name` (created on first use), in order. Durable when it
   * resolves (Node: fsync). A crash during an append may lose a suffix of this batch,
   * never an earlier record, and never leaves a partial record visible.
   */
  append(name: string, records: readonly Uint8Array[]): Promise<void>;
  /** Every intact record of log `name` in append order ([] when the log does not exist). */
  readLog(name: string): Promise<Uint8Array[]>;
  /** Replaces the whole log `name` atomically with `records` (used by compaction). */
  rewriteLog(name: string, records: readonly Uint8Array[]): Promise<void>;
  /** Removes log `name`; removing a missing log is not an error. */
  deleteLog(name: string): Promise<void>;
  /** Names of the existing logs, sorted. */
  logs(): Promise<string[]>;

  /** Releases file handles. Every later call rejects with E2E_ERR_STORE_CLOSED. */
  close(): Promise<void>;
}
