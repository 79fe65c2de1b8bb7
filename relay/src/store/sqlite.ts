// SQLite implementation of RelayStore (better-sqlite3 12, WAL, numbered migrations).
//
// Durability: with journal_mode=WAL every committed transaction survives kill -9 of the
// process in any synchronous mode except OFF; synchronous=FULL (the default) also fsyncs
// the WAL on every commit so a power loss loses nothing acknowledged; NORMAL may lose the
// last transactions on power loss (never corrupts). docs/RELAY.md "Durability".
import Database from 'better-sqlite3';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Synchronous } from '../config';
import type {
  AppendOutcome,
  FoldedAppend,
  InviteUse,
  JoinRequestRow,
  Membership,
  RelayStore,
  SendRecord,
  SendResult,
  StoredGroup,
  StoredLogItem,
  StoredMessage,
  SweepResult,
} from './types';

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

interface GroupRow {
  id: number;
  group_id: Buffer;
  public_state: Buffer;
  head: Buffer;
  epoch: number;
  log_length: number;
  last_seq: number;
  dissolved: number;
}

function u8(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function toGroup(r: GroupRow): StoredGroup {
  return {
    ref: r.id,
    groupId: u8(r.group_id),
    publicState: u8(r.public_state),
    head: u8(r.head),
    epoch: r.epoch,
    logLength: r.log_length,
    lastSeq: r.last_seq,
    dissolved: r.dissolved === 1,
  };
}

function hexKey(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export interface SqliteStoreOptions {
  /** Path of the database file; ':memory:' for tests that need no file. */
  file: string;
  synchronous: Synchronous;
}

/** Runs numbered migrations (NNNN_name.sql) not yet applied, each in its own transaction. */
export function migrate(db: Database.Database, dir = MIGRATIONS_DIR): number[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
  const files = readdirSync(dir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort();
  const ran: number[] = [];
  for (const f of files) {
    const version = Number(f.slice(0, 4));
    if (applied.has(version)) continue;
    const sql = readFileSync(join(dir, f), 'utf8');
    db.transaction(() => {
      db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(version, f, Date.now());
    })();
    ran.push(version);
  }
  return ran;
}

export function openSqliteStore(opts: SqliteStoreOptions): SqliteStore {
  if (opts.file !== ':memory:') mkdirSync(dirname(opts.file), { recursive: true });
  const db = new Database(opts.file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.synchronous}`);
  db.pragma('foreign_keys = OFF');
  db.pragma('busy_timeout = 5000');
  db.pragma('wal_autocheckpoint = 4000');
  migrate(db);
  return new SqliteStore(db, opts.file);
}

export class SqliteStore implements RelayStore {
  private readonly s;

  constructor(
    readonly db: Database.Database,
    private readonly file: string,
  ) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      deviceByMember: p('SELECT id FROM devices WHERE member_id = ?').pluck(),
      identityKey: p('SELECT identity_key FROM devices WHERE id = ?').pluck(),
      insertDevice: p(
        'INSERT INTO devices (member_id, identity_key, created_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(member_id) DO UPDATE SET identity_key = excluded.identity_key WHERE length(devices.identity_key) = 0',
      ),
      setSignedPrekey: p('UPDATE devices SET signed_prekey = ?, updated_at = ? WHERE id = ?'),
      putOneTime: p('INSERT OR REPLACE INTO one_time_prekeys (device_id, prekey_id, key) VALUES (?, ?, ?)'),
      deviceForClaim: p('SELECT id, identity_key, signed_prekey FROM devices WHERE member_id = ?'),
      signedPrekeyOf: p('SELECT signed_prekey FROM devices WHERE member_id = ? AND signed_prekey IS NOT NULL'),
      firstOneTime: p('SELECT prekey_id, key FROM one_time_prekeys WHERE device_id = ? ORDER BY prekey_id LIMIT 1'),
      deleteOneTime: p('DELETE FROM one_time_prekeys WHERE device_id = ? AND prekey_id = ?'),
      groupById: p('SELECT * FROM groups WHERE group_id = ?'),
      groupByRef: p('SELECT * FROM groups WHERE id = ?'),
      insertGroup: p('INSERT INTO groups (group_id, public_state, head, epoch, log_length, last_seq, dissolved, created_at) VALUES (?, ?, ?, ?, 1, 0, ?, ?)'),
      updateGroup: p('UPDATE groups SET public_state = ?, head = ?, epoch = ?, log_length = log_length + 1, dissolved = ? WHERE id = ?'),
      insertEntry: p('INSERT INTO log_entries (group_ref, idx, entry, created_at) VALUES (?, ?, ?, ?)'),
      insertEnvelope: p('INSERT INTO envelopes (group_ref, idx, recipient, envelope) VALUES (?, ?, ?, ?)'),
      servedOf: p('SELECT d.member_id AS member_id, g.device_ref AS device_ref FROM group_members g JOIN devices d ON d.id = g.device_ref WHERE g.group_ref = ?'),
      addMember: p('INSERT OR IGNORE INTO group_members (group_ref, device_ref, joined_seq, joined_log) VALUES (?, ?, ?, ?)'),
      removeMember: p('DELETE FROM group_members WHERE group_ref = ? AND device_ref = ?'),
      groupsOf: p('SELECT g.* FROM group_members m JOIN groups g ON g.id = m.group_ref WHERE m.device_ref = ?'),
      membership: p('SELECT joined_seq, joined_log FROM group_members WHERE group_ref = ? AND device_ref = ?'),
      readLog: p(
        'SELECT l.idx AS idx, l.entry AS entry, e.envelope AS envelope FROM log_entries l LEFT JOIN envelopes e ON e.group_ref = l.group_ref AND e.idx = l.idx AND e.recipient = ? WHERE l.group_ref = ? AND l.idx > ? ORDER BY l.idx LIMIT ?',
      ),
      insertMessage: p('INSERT INTO messages (group_ref, seq, sender, client_id, epoch, sent_at, body) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(sender, client_id) DO NOTHING'),
      existingSeq: p('SELECT seq, group_ref FROM messages WHERE sender = ? AND client_id = ?'),
      lastSeq: p('SELECT last_seq FROM groups WHERE id = ?').pluck(),
      setLastSeq: p('UPDATE groups SET last_seq = ? WHERE id = ?'),
      readMessages: p(
        'SELECT m.seq AS seq, d.member_id AS sender, m.epoch AS epoch, m.sent_at AS sent_at, m.body AS body FROM messages m JOIN devices d ON d.id = m.sender WHERE m.group_ref = ? AND m.seq > ? ORDER BY m.seq LIMIT ?',
      ),
      saveCursor: p('INSERT INTO cursors (device_ref, group_ref, acked_seq) VALUES (?, ?, ?) ON CONFLICT(device_ref, group_ref) DO UPDATE SET acked_seq = max(acked_seq, excluded.acked_seq)'),
      cursor: p('SELECT acked_seq FROM cursors WHERE device_ref = ? AND group_ref = ?').pluck(),
      putBlob: p('INSERT INTO blobs (blob_id, group_ref, size, created_at) VALUES (?, ?, ?, ?)'),
      blobGroup: p('SELECT group_ref FROM blobs WHERE blob_id = ?').pluck(),
      createInvite: p('INSERT INTO invites (invite_id, group_ref, expires_at, max_uses, uses, created_at) VALUES (?, ?, ?, ?, 0, ?)'),
      invite: p('SELECT group_ref, expires_at, max_uses, uses FROM invites WHERE invite_id = ?'),
      useInvite: p('UPDATE invites SET uses = uses + 1 WHERE invite_id = ?'),
      insertJoin: p('INSERT INTO join_requests (group_ref, invite_id, requester, body, created_at) VALUES (?, ?, ?, ?, ?)'),
      listJoins: p('SELECT id, invite_id, created_at, body FROM join_requests WHERE group_ref = ? AND id > ? ORDER BY id LIMIT ?'),
      deleteJoin: p('DELETE FROM join_requests WHERE group_ref = ? AND id = ?'),
      ackFloor: p(
        'SELECT m.group_ref AS group_ref, min(coalesce(c.acked_seq, m.joined_seq)) AS floor FROM group_members m LEFT JOIN cursors c ON c.device_ref = m.device_ref AND c.group_ref = m.group_ref GROUP BY m.group_ref',
      ),
      deleteAcked: p('DELETE FROM messages WHERE group_ref = ? AND seq <= ?'),
      deleteOld: p('DELETE FROM messages WHERE sent_at < ?'),
      oldBlobs: p('SELECT blob_id FROM blobs WHERE created_at < ? OR group_ref IN (SELECT id FROM groups WHERE dissolved = 1)').pluck(),
      putNotify: p('INSERT INTO notify_subscriptions (device_ref, subscription, updated_at) VALUES (?, ?, ?) ON CONFLICT(device_ref) DO UPDATE SET subscription = excluded.subscription, updated_at = excluded.updated_at'),
      deleteNotify: p('DELETE FROM notify_subscriptions WHERE device_ref = ?'),
      notifyOf: p('SELECT n.subscription FROM devices d JOIN notify_subscriptions n ON n.device_ref = d.id WHERE d.member_id = ?').pluck(),
      deleteOldBlobs: p('DELETE FROM blobs WHERE created_at < ? OR group_ref IN (SELECT id FROM groups WHERE dissolved = 1)'),
    };
  }

  async upsertDevice(memberId: Uint8Array, identityKey: Uint8Array, now: number): Promise<number> {
    this.s.insertDevice.run(memberId, identityKey, now, now);
    return this.s.deviceByMember.get(memberId) as number;
  }

  async deviceRef(memberId: Uint8Array): Promise<number | null> {
    return (this.s.deviceByMember.get(memberId) as number | undefined) ?? null;
  }

  async identityKey(deviceRef: number): Promise<Uint8Array | null> {
    const k = this.s.identityKey.get(deviceRef) as Buffer | undefined;
    return k && k.length === 32 ? u8(k) : null;
  }

  async putPrekeys(deviceRef: number, signedPrekey: Uint8Array | null, oneTime: { id: number; key: Uint8Array }[], now: number): Promise<void> {
    this.db.transaction(() => {
      if (signedPrekey && signedPrekey.length > 0) this.s.setSignedPrekey.run(signedPrekey, now, deviceRef);
      for (const k of oneTime) this.s.putOneTime.run(deviceRef, k.id, k.key);
    })();
  }

  async claimPrekey(memberId: Uint8Array) {
    return this.db.transaction(() => {
      const d = this.s.deviceForClaim.get(memberId) as { id: number; identity_key: Buffer; signed_prekey: Buffer | null } | undefined;
      if (!d || d.identity_key.length === 0) return null;
      const k = this.s.firstOneTime.get(d.id) as { prekey_id: number; key: Buffer } | undefined;
      if (k) this.s.deleteOneTime.run(d.id, k.prekey_id);
      return {
        identityKey: u8(d.identity_key),
        signedPrekey: d.signed_prekey ? u8(d.signed_prekey) : null,
        oneTime: k ? { id: k.prekey_id, key: u8(k.key) } : null,
      };
    }).immediate();
  }

  async signedPrekeys(memberIds: Uint8Array[]) {
    const out: { memberId: Uint8Array; signedPrekey: Uint8Array }[] = [];
    for (const id of memberIds) {
      const row = this.s.signedPrekeyOf.get(id) as { signed_prekey: Buffer } | undefined;
      if (row) out.push({ memberId: id.slice(), signedPrekey: u8(row.signed_prekey) });
    }
    return out;
  }

  private applyServed(groupRef: number, served: Uint8Array[], index: number, now: number): { added: Uint8Array[]; removed: Uint8Array[] } {
    const current = this.s.servedOf.all(groupRef) as { member_id: Buffer; device_ref: number }[];
    const currentKeys = new Map(current.map((r) => [r.member_id.toString('hex'), r]));
    const next = new Map(served.map((m) => [hexKey(m), m]));
    const added: Uint8Array[] = [];
    const removed: Uint8Array[] = [];
    const lastSeq = this.s.lastSeq.get(groupRef) as number;
    for (const [key, id] of next) {
      if (currentKeys.has(key)) continue;
      // A member may be added before it ever logged in: register the device lazily with an empty key.
      let ref = this.s.deviceByMember.get(id) as number | undefined;
      if (ref === undefined) {
        this.s.insertDevice.run(id, new Uint8Array(0), now, now);
        ref = this.s.deviceByMember.get(id) as number;
      }
      this.s.addMember.run(groupRef, ref, lastSeq, index);
      added.push(id);
    }
    for (const [key, row] of currentKeys) {
      if (next.has(key)) continue;
      this.s.removeMember.run(groupRef, row.device_ref);
      removed.push(u8(row.member_id));
    }
    return { added, removed };
  }

  async createGroup(groupId: Uint8Array, entry: Uint8Array, f: FoldedAppend, now: number): Promise<AppendOutcome> {
    return this.db.transaction((): AppendOutcome => {
      const existing = this.s.groupById.get(groupId) as GroupRow | undefined;
      if (existing) return { ok: false, reason: 'exists', group: toGroup(existing) };
      const ref = Number(this.s.insertGroup.run(groupId, f.publicState, f.head, f.epoch, f.dissolved ? 1 : 0, now).lastInsertRowid);
      this.s.insertEntry.run(ref, 0, entry, now);
      for (const e of f.envelopes) this.s.insertEnvelope.run(ref, 0, e.recipient, e.envelope);
      const { added, removed } = this.applyServed(ref, f.served, 0, now);
      return { ok: true, group: toGroup(this.s.groupByRef.get(ref) as GroupRow), index: 0, added, removed };
    }).immediate();
  }

  async appendEntry(
    groupId: Uint8Array,
    expectedHead: Uint8Array,
    entry: Uint8Array,
    fold: (group: StoredGroup) => FoldedAppend,
    now: number,
  ): Promise<AppendOutcome> {
    return this.db.transaction((): AppendOutcome => {
      const row = this.s.groupById.get(groupId) as GroupRow | undefined;
      if (!row) return { ok: false, reason: 'unknown-group' };
      const group = toGroup(row);
      if (Buffer.compare(row.head, Buffer.from(expectedHead)) !== 0) return { ok: false, reason: 'head-mismatch', group };
      const f = fold(group); // throws to reject: nothing written
      const index = group.logLength;
      this.s.insertEntry.run(group.ref, index, entry, now);
      for (const e of f.envelopes) this.s.insertEnvelope.run(group.ref, index, e.recipient, e.envelope);
      this.s.updateGroup.run(f.publicState, f.head, f.epoch, f.dissolved ? 1 : 0, group.ref);
      const { added, removed } = this.applyServed(group.ref, f.served, index, now);
      return { ok: true, group: toGroup(this.s.groupByRef.get(group.ref) as GroupRow), index, added, removed };
    }).immediate();
  }

  async loadGroup(groupId: Uint8Array): Promise<StoredGroup | null> {
    const r = this.s.groupById.get(groupId) as GroupRow | undefined;
    return r ? toGroup(r) : null;
  }

  async loadGroupByRef(ref: number): Promise<StoredGroup | null> {
    const r = this.s.groupByRef.get(ref) as GroupRow | undefined;
    return r ? toGroup(r) : null;
  }

  async groupsOf(deviceRef: number): Promise<StoredGroup[]> {
    return (this.s.groupsOf.all(deviceRef) as GroupRow[]).map(toGroup);
  }

  async membership(groupRef: number, deviceRef: number): Promise<Membership | null> {
    const r = this.s.membership.get(groupRef, deviceRef) as { joined_seq: number; joined_log: number } | undefined;
    return r ? { joinedSeq: r.joined_seq, joinedLog: r.joined_log } : null;
  }

  async readLog(groupRef: number, after: number, limit: number, recipient: Uint8Array): Promise<StoredLogItem[]> {
    const rows = this.s.readLog.all(recipient, groupRef, after, limit) as { idx: number; entry: Buffer; envelope: Buffer | null }[];
    return rows.map((r) => ({ index: r.idx, entry: u8(r.entry), envelope: r.envelope ? u8(r.envelope) : new Uint8Array(0) }));
  }

  /** One transaction for the whole batch (group commit). Sequence numbers per group, gap-free. */
  commitSendsSync(batch: SendRecord[]): SendResult[] {
    return this.db.transaction(() => {
      const last = new Map<number, number>();
      const out: SendResult[] = [];
      for (const m of batch) {
        let seq = last.get(m.groupRef);
        if (seq === undefined) seq = this.s.lastSeq.get(m.groupRef) as number;
        const next = seq + 1;
        const info = this.s.insertMessage.run(m.groupRef, next, m.senderRef, m.clientId, m.epoch, m.sentAt, m.body);
        if (info.changes === 1) {
          last.set(m.groupRef, next);
          out.push({ seq: next, duplicate: false });
        } else {
          last.set(m.groupRef, seq);
          const prior = this.s.existingSeq.get(m.senderRef, m.clientId) as { seq: number; group_ref: number };
          // A client ID reused for another group is a conflict, reported as seq 0.
          out.push({ seq: prior.group_ref === m.groupRef ? prior.seq : 0, duplicate: true });
        }
      }
      for (const [ref, seq] of last) this.s.setLastSeq.run(seq, ref);
      return out;
    }).immediate();
  }

  async commitSends(batch: SendRecord[]): Promise<SendResult[]> {
    return this.commitSendsSync(batch);
  }

  async readMessages(groupRef: number, after: number, limit: number): Promise<StoredMessage[]> {
    const rows = this.s.readMessages.all(groupRef, after, limit) as { seq: number; sender: Buffer; epoch: number; sent_at: number; body: Buffer }[];
    return rows.map((r) => ({ seq: r.seq, sender: u8(r.sender), epoch: r.epoch, sentAt: r.sent_at, body: u8(r.body) }));
  }

  async saveCursors(cursors: { deviceRef: number; groupRef: number; seq: number }[]): Promise<void> {
    if (cursors.length === 0) return;
    this.db.transaction(() => {
      for (const c of cursors) this.s.saveCursor.run(c.deviceRef, c.groupRef, c.seq);
    })();
  }

  async cursor(deviceRef: number, groupRef: number): Promise<number | null> {
    return (this.s.cursor.get(deviceRef, groupRef) as number | undefined) ?? null;
  }

  async putBlobMeta(blobId: Uint8Array, groupRef: number, size: number, now: number): Promise<void> {
    this.s.putBlob.run(blobId, groupRef, size, now);
  }

  async blobGroup(blobId: Uint8Array): Promise<number | null> {
    return (this.s.blobGroup.get(blobId) as number | undefined) ?? null;
  }

  async createInvite(inviteId: Uint8Array, groupRef: number, expiresAt: number, maxUses: number, now: number): Promise<void> {
    this.s.createInvite.run(inviteId, groupRef, expiresAt, maxUses, now);
  }

  async useInvite(inviteId: Uint8Array, requesterRef: number, body: Uint8Array, now: number): Promise<InviteUse> {
    return this.db.transaction((): InviteUse => {
      const inv = this.s.invite.get(inviteId) as { group_ref: number; expires_at: number; max_uses: number; uses: number } | undefined;
      if (!inv) return { ok: false, reason: 'unknown' };
      if (now >= inv.expires_at) return { ok: false, reason: 'expired' };
      if (inv.uses >= inv.max_uses) return { ok: false, reason: 'used-up' };
      this.s.useInvite.run(inviteId);
      const id = Number(this.s.insertJoin.run(inv.group_ref, inviteId, requesterRef, body, now).lastInsertRowid);
      return { ok: true, groupRef: inv.group_ref, requestId: id };
    }).immediate();
  }

  async listJoinRequests(groupRef: number, after: number, limit: number): Promise<JoinRequestRow[]> {
    const rows = this.s.listJoins.all(groupRef, after, limit) as { id: number; invite_id: Buffer; created_at: number; body: Buffer }[];
    return rows.map((r) => ({ id: r.id, inviteId: u8(r.invite_id), createdAt: r.created_at, body: u8(r.body) }));
  }

  async deleteJoinRequest(groupRef: number, id: number): Promise<boolean> {
    return this.s.deleteJoin.run(groupRef, id).changes === 1;
  }

  async sweep(olderThan: number): Promise<SweepResult> {
    return this.db.transaction((): SweepResult => {
      let messages = 0;
      for (const r of this.s.ackFloor.all() as { group_ref: number; floor: number | null }[]) {
        if (r.floor !== null && r.floor > 0) messages += this.s.deleteAcked.run(r.group_ref, r.floor).changes;
      }
      messages += this.s.deleteOld.run(olderThan).changes;
      const blobs = (this.s.oldBlobs.all(olderThan) as Buffer[]).map(u8);
      this.s.deleteOldBlobs.run(olderThan);
      return { messages, blobs };
    }).immediate();
  }

  async putNotifySubscription(deviceRef: number, subscription: Uint8Array, now: number): Promise<void> {
    this.s.putNotify.run(deviceRef, subscription, now);
  }

  async deleteNotifySubscription(deviceRef: number): Promise<boolean> {
    return this.s.deleteNotify.run(deviceRef).changes > 0;
  }

  async notifySubscriptions(memberIds: Uint8Array[]): Promise<{ memberId: Uint8Array; subscription: Uint8Array }[]> {
    const out: { memberId: Uint8Array; subscription: Uint8Array }[] = [];
    this.db.transaction(() => {
      for (const memberId of memberIds) {
        const sub = this.s.notifyOf.get(memberId) as Buffer | undefined;
        if (sub) out.push({ memberId, subscription: u8(sub) });
      }
    })();
    return out;
  }

  async sizeBytes(): Promise<number> {
    if (this.file === ':memory:') {
      const pages = this.db.pragma('page_count', { simple: true }) as number;
      const size = this.db.pragma('page_size', { simple: true }) as number;
      return pages * size;
    }
    let total = 0;
    for (const suffix of ['', '-wal', '-shm']) {
      try {
        total += statSync(this.file + suffix).size;
      } catch {
        // the -wal and -shm files may not exist
      }
    }
    return total;
  }

  async checkpoint(): Promise<void> {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  async close(): Promise<void> {
    if (this.db.open) {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      this.db.close();
    }
  }
}
