// PostgreSQL implementation of RelayStore (node-postgres `pg`, numbered migrations in
// migrations-pg/). Several relay instances may share one database: everything that must be
// serial per group (log compare-and-swap, sequence numbers) takes the group's row lock
// (SELECT ... FOR UPDATE) inside its transaction, so two instances can never assign the same
// sequence number or both win a compare-and-swap. Idempotent client message IDs rest on the
// unique index (sender, client_id). docs/RELAY.md "Scale-out: PostgreSQL + Redis".
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
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

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations-pg');

/** Advisory lock key held while migrations run, so instances starting together migrate once. */
const MIGRATION_LOCK_KEY = 0x77786532; // 'wxe2'
/** Attempts of a transaction that hit a deadlock or a concurrent duplicate client ID. */
const MAX_TX_ATTEMPTS = 5;
const PG_DEADLOCK = '40P01';
const PG_SERIALIZATION = '40001';

/** int8 (BIGINT) as a JavaScript number: every value the relay stores stays below 2^53. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

interface GroupRow {
  id: number;
  group_id: Buffer;
  public_state: Buffer;
  head: Buffer;
  epoch: number;
  log_length: number;
  last_seq: number;
  dissolved: boolean;
}

function u8(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function buf(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
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
    dissolved: r.dissolved,
  };
}

function hexKey(b: Uint8Array): string {
  return buf(b).toString('hex');
}

/** Retry marker: the transaction lost a race that a fresh attempt resolves. */
class RetryTransaction extends Error {}

type Q = pg.PoolClient | pg.Pool;

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database (options=-c search_path=... selects a schema). */
  url: string;
  /** Pool size per relay instance (default 10). */
  poolSize?: number;
}

/** Runs numbered migrations (NNNN_name.sql) not yet applied, all under one advisory lock. */
export async function migratePostgres(pool: pg.Pool, dir = MIGRATIONS_DIR): Promise<number[]> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
    const applied = new Set((await c.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    const files = readdirSync(dir)
      .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
      .sort();
    const ran: number[] = [];
    for (const f of files) {
      const version = Number(f.slice(0, 4));
      if (applied.has(version)) continue;
      await c.query(readFileSync(join(dir, f), 'utf8'));
      await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [version, f, Date.now()]);
      ran.push(version);
    }
    await c.query('COMMIT');
    return ran;
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    c.release();
  }
}

export async function openPostgresStore(opts: PostgresStoreOptions): Promise<PostgresStore> {
  if (!/^postgres(ql)?:\/\//.test(opts.url)) throw new RangeError('"url" must be a postgres:// URL');
  const pool = new pg.Pool({ connectionString: opts.url, max: opts.poolSize ?? 10, types });
  // An idle client that loses its server emits 'error' on the pool; the next query reconnects.
  pool.on('error', () => undefined);
  try {
    await migratePostgres(pool);
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw e;
  }
  return new PostgresStore(pool);
}

export class PostgresStore implements RelayStore {
  constructor(readonly pool: pg.Pool) {}

  /** Runs `fn` in a READ COMMITTED transaction; retries deadlocks and lost races. */
  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const c = await this.pool.connect();
      try {
        await c.query('BEGIN');
        const out = await fn(c);
        await c.query('COMMIT');
        return out;
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        const code = (e as { code?: string }).code;
        const retry = e instanceof RetryTransaction || code === PG_DEADLOCK || code === PG_SERIALIZATION;
        if (!retry || attempt >= MAX_TX_ATTEMPTS) throw e;
      } finally {
        c.release();
      }
    }
  }

  private async deviceId(q: Q, memberId: Uint8Array): Promise<number | null> {
    const r = await q.query<{ id: number }>('SELECT id FROM devices WHERE member_id = $1', [buf(memberId)]);
    return r.rows[0]?.id ?? null;
  }

  async upsertDevice(memberId: Uint8Array, identityKey: Uint8Array, now: number): Promise<number> {
    await this.pool.query(
      `INSERT INTO devices (member_id, identity_key, created_at, updated_at) VALUES ($1, $2, $3, $3)
       ON CONFLICT (member_id) DO UPDATE SET identity_key = EXCLUDED.identity_key WHERE length(devices.identity_key) = 0`,
      [buf(memberId), buf(identityKey), now],
    );
    return (await this.deviceId(this.pool, memberId))!;
  }

  async deviceRef(memberId: Uint8Array): Promise<number | null> {
    return this.deviceId(this.pool, memberId);
  }

  async identityKey(deviceRef: number): Promise<Uint8Array | null> {
    const r = await this.pool.query<{ identity_key: Buffer }>('SELECT identity_key FROM devices WHERE id = $1', [deviceRef]);
    const k = r.rows[0]?.identity_key;
    return k && k.length === 32 ? u8(k) : null;
  }

  async putPrekeys(deviceRef: number, signedPrekey: Uint8Array | null, oneTime: { id: number; key: Uint8Array }[], now: number): Promise<void> {
    await this.tx(async (c) => {
      if (signedPrekey && signedPrekey.length > 0) {
        await c.query('UPDATE devices SET signed_prekey = $1, updated_at = $2 WHERE id = $3', [buf(signedPrekey), now, deviceRef]);
      }
      if (oneTime.length > 0) {
        await c.query(
          `INSERT INTO one_time_prekeys (device_id, prekey_id, key) SELECT $1, * FROM unnest($2::bigint[], $3::bytea[])
           ON CONFLICT (device_id, prekey_id) DO UPDATE SET key = EXCLUDED.key`,
          [deviceRef, oneTime.map((k) => k.id), oneTime.map((k) => buf(k.key))],
        );
      }
    });
  }

  async claimPrekey(memberId: Uint8Array) {
    const d = (
      await this.pool.query<{ id: number; identity_key: Buffer; signed_prekey: Buffer | null }>(
        'SELECT id, identity_key, signed_prekey FROM devices WHERE member_id = $1',
        [buf(memberId)],
      )
    ).rows[0];
    if (!d || d.identity_key.length === 0) return null;
    // One statement: the row is locked and deleted, so a key goes out at most once across instances.
    const k = (
      await this.pool.query<{ prekey_id: number; key: Buffer }>(
        `DELETE FROM one_time_prekeys WHERE (device_id, prekey_id) = (
           SELECT device_id, prekey_id FROM one_time_prekeys WHERE device_id = $1 ORDER BY prekey_id LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING prekey_id, key`,
        [d.id],
      )
    ).rows[0];
    return {
      identityKey: u8(d.identity_key),
      signedPrekey: d.signed_prekey ? u8(d.signed_prekey) : null,
      oneTime: k ? { id: k.prekey_id, key: u8(k.key) } : null,
    };
  }

  async signedPrekeys(memberIds: Uint8Array[]) {
    if (memberIds.length === 0) return [];
    const rows = (
      await this.pool.query<{ member_id: Buffer; signed_prekey: Buffer }>(
        'SELECT member_id, signed_prekey FROM devices WHERE member_id = ANY($1::bytea[]) AND signed_prekey IS NOT NULL',
        [memberIds.map(buf)],
      )
    ).rows;
    return rows.map((r) => ({ memberId: u8(r.member_id), signedPrekey: u8(r.signed_prekey) }));
  }

  private async applyServed(c: pg.PoolClient, groupRef: number, lastSeq: number, served: Uint8Array[], index: number, now: number) {
    const current = (
      await c.query<{ member_id: Buffer; device_ref: number }>(
        'SELECT d.member_id, g.device_ref FROM group_members g JOIN devices d ON d.id = g.device_ref WHERE g.group_ref = $1',
        [groupRef],
      )
    ).rows;
    const currentKeys = new Map(current.map((r) => [r.member_id.toString('hex'), r]));
    const next = new Map(served.map((m) => [hexKey(m), m]));
    const added: Uint8Array[] = [];
    const removed: Uint8Array[] = [];
    for (const [key, id] of next) if (!currentKeys.has(key)) added.push(id);
    for (const [key, row] of currentKeys) if (!next.has(key)) removed.push(u8(row.member_id));
    if (added.length > 0) {
      const ids = added.map(buf);
      // A member may be added before it ever logged in: register the device lazily with an empty key.
      await c.query(
        `INSERT INTO devices (member_id, identity_key, created_at, updated_at) SELECT m, '\\x'::bytea, $2, $2 FROM unnest($1::bytea[]) AS m
         ON CONFLICT (member_id) DO NOTHING`,
        [ids, now],
      );
      await c.query(
        `INSERT INTO group_members (group_ref, device_ref, joined_seq, joined_log)
         SELECT $2, d.id, $3, $4 FROM devices d WHERE d.member_id = ANY($1::bytea[]) ON CONFLICT DO NOTHING`,
        [ids, groupRef, lastSeq, index],
      );
    }
    if (removed.length > 0) {
      const refs = current.filter((r) => !next.has(r.member_id.toString('hex'))).map((r) => r.device_ref);
      await c.query('DELETE FROM group_members WHERE group_ref = $1 AND device_ref = ANY($2::bigint[])', [groupRef, refs]);
    }
    return { added, removed };
  }

  private async insertEntry(c: pg.PoolClient, ref: number, index: number, entry: Uint8Array, f: FoldedAppend, now: number): Promise<void> {
    await c.query('INSERT INTO log_entries (group_ref, idx, entry, created_at) VALUES ($1, $2, $3, $4)', [ref, index, buf(entry), now]);
    if (f.envelopes.length > 0) {
      await c.query('INSERT INTO envelopes (group_ref, idx, recipient, envelope) SELECT $1, $2, * FROM unnest($3::bytea[], $4::bytea[])', [
        ref,
        index,
        f.envelopes.map((e) => buf(e.recipient)),
        f.envelopes.map((e) => buf(e.envelope)),
      ]);
    }
  }

  async createGroup(groupId: Uint8Array, entry: Uint8Array, f: FoldedAppend, now: number): Promise<AppendOutcome> {
    return this.tx(async (c): Promise<AppendOutcome> => {
      const ins = await c.query<GroupRow>(
        `INSERT INTO groups (group_id, public_state, head, epoch, log_length, last_seq, dissolved, created_at)
         VALUES ($1, $2, $3, $4, 1, 0, $5, $6) ON CONFLICT (group_id) DO NOTHING RETURNING *`,
        [buf(groupId), buf(f.publicState), buf(f.head), f.epoch, f.dissolved, now],
      );
      const row = ins.rows[0];
      if (!row) {
        const existing = (await c.query<GroupRow>('SELECT * FROM groups WHERE group_id = $1', [buf(groupId)])).rows[0];
        return existing ? { ok: false, reason: 'exists', group: toGroup(existing) } : { ok: false, reason: 'exists' };
      }
      await this.insertEntry(c, row.id, 0, entry, f, now);
      const { added, removed } = await this.applyServed(c, row.id, 0, f.served, 0, now);
      return { ok: true, group: toGroup(row), index: 0, added, removed };
    });
  }

  async appendEntry(
    groupId: Uint8Array,
    expectedHead: Uint8Array,
    entry: Uint8Array,
    fold: (group: StoredGroup) => FoldedAppend,
    now: number,
  ): Promise<AppendOutcome> {
    return this.tx(async (c): Promise<AppendOutcome> => {
      // The row lock makes the compare-and-swap atomic across every instance on this database.
      const row = (await c.query<GroupRow>('SELECT * FROM groups WHERE group_id = $1 FOR UPDATE', [buf(groupId)])).rows[0];
      if (!row) return { ok: false, reason: 'unknown-group' };
      const group = toGroup(row);
      if (Buffer.compare(row.head, buf(expectedHead)) !== 0) return { ok: false, reason: 'head-mismatch', group };
      const f = fold(group); // throws to reject: the transaction rolls back
      const index = group.logLength;
      await this.insertEntry(c, group.ref, index, entry, f, now);
      const upd = await c.query<GroupRow>(
        'UPDATE groups SET public_state = $1, head = $2, epoch = $3, log_length = log_length + 1, dissolved = $4 WHERE id = $5 RETURNING *',
        [buf(f.publicState), buf(f.head), f.epoch, f.dissolved, group.ref],
      );
      const { added, removed } = await this.applyServed(c, group.ref, group.lastSeq, f.served, index, now);
      return { ok: true, group: toGroup(upd.rows[0]!), index, added, removed };
    });
  }

  async loadGroup(groupId: Uint8Array): Promise<StoredGroup | null> {
    const r = (await this.pool.query<GroupRow>('SELECT * FROM groups WHERE group_id = $1', [buf(groupId)])).rows[0];
    return r ? toGroup(r) : null;
  }

  async loadGroupByRef(ref: number): Promise<StoredGroup | null> {
    const r = (await this.pool.query<GroupRow>('SELECT * FROM groups WHERE id = $1', [ref])).rows[0];
    return r ? toGroup(r) : null;
  }

  async groupsOf(deviceRef: number): Promise<StoredGroup[]> {
    const r = await this.pool.query<GroupRow>('SELECT g.* FROM group_members m JOIN groups g ON g.id = m.group_ref WHERE m.device_ref = $1', [deviceRef]);
    return r.rows.map(toGroup);
  }

  async membership(groupRef: number, deviceRef: number): Promise<Membership | null> {
    const r = (
      await this.pool.query<{ joined_seq: number; joined_log: number }>(
        'SELECT joined_seq, joined_log FROM group_members WHERE group_ref = $1 AND device_ref = $2',
        [groupRef, deviceRef],
      )
    ).rows[0];
    return r ? { joinedSeq: r.joined_seq, joinedLog: r.joined_log } : null;
  }

  async readLog(groupRef: number, after: number, limit: number, recipient: Uint8Array): Promise<StoredLogItem[]> {
    const r = await this.pool.query<{ idx: number; entry: Buffer; envelope: Buffer | null }>(
      `SELECT l.idx, l.entry, e.envelope FROM log_entries l
       LEFT JOIN envelopes e ON e.group_ref = l.group_ref AND e.idx = l.idx AND e.recipient = $1
       WHERE l.group_ref = $2 AND l.idx > $3 ORDER BY l.idx LIMIT $4`,
      [buf(recipient), groupRef, after, limit],
    );
    return r.rows.map((x) => ({ index: x.idx, entry: u8(x.entry), envelope: x.envelope ? u8(x.envelope) : new Uint8Array(0) }));
  }

  /**
   * Group commit. Locks every group of the batch (in id order, so two batches cannot
   * deadlock), resolves retries against the unique client-ID index, assigns gap-free
   * sequence numbers and refuses sends whose epoch is no longer the group's (another
   * instance may have committed a removal this instance has not heard of yet).
   */
  async commitSends(batch: SendRecord[]): Promise<SendResult[]> {
    if (batch.length === 0) return [];
    return this.tx(async (c) => {
      const refs = [...new Set(batch.map((m) => m.groupRef))].sort((a, b) => a - b);
      const locked = await c.query<{ id: number; last_seq: number; epoch: number }>(
        'SELECT id, last_seq, epoch FROM groups WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE',
        [refs],
      );
      const groups = new Map(locked.rows.map((r) => [r.id, { seq: r.last_seq, epoch: r.epoch, used: false }]));
      const prior = await c.query<{ sender: number; client_id: Buffer; seq: number; group_ref: number }>(
        `SELECT m.sender, m.client_id, m.seq, m.group_ref FROM messages m
         JOIN unnest($1::bigint[], $2::bytea[]) AS k(s, c) ON m.sender = k.s AND m.client_id = k.c`,
        [batch.map((m) => m.senderRef), batch.map((m) => buf(m.clientId))],
      );
      const known = new Map(prior.rows.map((r) => [`${r.sender}:${r.client_id.toString('hex')}`, r]));
      const out: SendResult[] = [];
      const rows: { g: number; seq: number; sender: number; cid: Buffer; epoch: number; at: number; body: Buffer }[] = [];
      for (const m of batch) {
        const key = `${m.senderRef}:${hexKey(m.clientId)}`;
        const dup = known.get(key);
        if (dup) {
          // A client ID reused for another group is a conflict, reported as seq 0.
          out.push({ seq: dup.group_ref === m.groupRef ? dup.seq : 0, duplicate: true });
          continue;
        }
        const g = groups.get(m.groupRef);
        if (!g) {
          out.push({ seq: 0, duplicate: false, staleEpoch: true });
          continue;
        }
        if (m.epoch !== g.epoch) {
          out.push({ seq: 0, duplicate: false, staleEpoch: true });
          continue;
        }
        g.seq += 1;
        g.used = true;
        known.set(key, { sender: m.senderRef, client_id: buf(m.clientId), seq: g.seq, group_ref: m.groupRef });
        rows.push({ g: m.groupRef, seq: g.seq, sender: m.senderRef, cid: buf(m.clientId), epoch: m.epoch, at: m.sentAt, body: buf(m.body) });
        out.push({ seq: g.seq, duplicate: false });
      }
      if (rows.length > 0) {
        const ins = await c.query(
          `INSERT INTO messages (group_ref, seq, sender, client_id, epoch, sent_at, body)
           SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bytea[], $5::bigint[], $6::bigint[], $7::bytea[])
           ON CONFLICT (sender, client_id) DO NOTHING`,
          [rows.map((r) => r.g), rows.map((r) => r.seq), rows.map((r) => r.sender), rows.map((r) => r.cid), rows.map((r) => r.epoch), rows.map((r) => r.at), rows.map((r) => r.body)],
        );
        // The same client ID committed meanwhile by another instance (a retry in another group):
        // start again so the retry resolves against the committed row and no seq is skipped.
        if (ins.rowCount !== rows.length) throw new RetryTransaction('concurrent duplicate client ID');
        const used = [...groups].filter(([, g]) => g.used);
        await c.query('UPDATE groups SET last_seq = u.seq FROM unnest($1::bigint[], $2::bigint[]) AS u(id, seq) WHERE groups.id = u.id', [
          used.map(([id]) => id),
          used.map(([, g]) => g.seq),
        ]);
      }
      return out;
    });
  }

  async readMessages(groupRef: number, after: number, limit: number): Promise<StoredMessage[]> {
    const r = await this.pool.query<{ seq: number; sender: Buffer; epoch: number; sent_at: number; body: Buffer }>(
      `SELECT m.seq, d.member_id AS sender, m.epoch, m.sent_at, m.body FROM messages m JOIN devices d ON d.id = m.sender
       WHERE m.group_ref = $1 AND m.seq > $2 ORDER BY m.seq LIMIT $3`,
      [groupRef, after, limit],
    );
    return r.rows.map((x) => ({ seq: x.seq, sender: u8(x.sender), epoch: x.epoch, sentAt: x.sent_at, body: u8(x.body) }));
  }

  async saveCursors(cursors: { deviceRef: number; groupRef: number; seq: number }[]): Promise<void> {
    if (cursors.length === 0) return;
    // Sorted so concurrent flushes from several instances take row locks in one order.
    const sorted = [...cursors].sort((a, b) => a.deviceRef - b.deviceRef || a.groupRef - b.groupRef);
    await this.tx(async (c) => {
      await c.query(
        `INSERT INTO cursors (device_ref, group_ref, acked_seq) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[])
         ON CONFLICT (device_ref, group_ref) DO UPDATE SET acked_seq = GREATEST(cursors.acked_seq, EXCLUDED.acked_seq)`,
        [sorted.map((x) => x.deviceRef), sorted.map((x) => x.groupRef), sorted.map((x) => x.seq)],
      );
    });
  }

  async cursor(deviceRef: number, groupRef: number): Promise<number | null> {
    const r = await this.pool.query<{ acked_seq: number }>('SELECT acked_seq FROM cursors WHERE device_ref = $1 AND group_ref = $2', [deviceRef, groupRef]);
    return r.rows[0]?.acked_seq ?? null;
  }

  async putBlobMeta(blobId: Uint8Array, groupRef: number, size: number, now: number): Promise<void> {
    await this.pool.query('INSERT INTO blobs (blob_id, group_ref, size, created_at) VALUES ($1, $2, $3, $4)', [buf(blobId), groupRef, size, now]);
  }

  async blobGroup(blobId: Uint8Array): Promise<number | null> {
    const r = await this.pool.query<{ group_ref: number }>('SELECT group_ref FROM blobs WHERE blob_id = $1', [buf(blobId)]);
    return r.rows[0]?.group_ref ?? null;
  }

  async createInvite(inviteId: Uint8Array, groupRef: number, expiresAt: number, maxUses: number, now: number): Promise<void> {
    await this.pool.query('INSERT INTO invites (invite_id, group_ref, expires_at, max_uses, uses, created_at) VALUES ($1, $2, $3, $4, 0, $5)', [
      buf(inviteId),
      groupRef,
      expiresAt,
      maxUses,
      now,
    ]);
  }

  async useInvite(inviteId: Uint8Array, requesterRef: number, body: Uint8Array, now: number): Promise<InviteUse> {
    return this.tx(async (c): Promise<InviteUse> => {
      const inv = (
        await c.query<{ group_ref: number; expires_at: number; max_uses: number; uses: number }>(
          'SELECT group_ref, expires_at, max_uses, uses FROM invites WHERE invite_id = $1 FOR UPDATE',
          [buf(inviteId)],
        )
      ).rows[0];
      if (!inv) return { ok: false, reason: 'unknown' };
      if (now >= inv.expires_at) return { ok: false, reason: 'expired' };
      if (inv.uses >= inv.max_uses) return { ok: false, reason: 'used-up' };
      await c.query('UPDATE invites SET uses = uses + 1 WHERE invite_id = $1', [buf(inviteId)]);
      const r = await c.query<{ id: number }>(
        'INSERT INTO join_requests (group_ref, invite_id, requester, body, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id',
        [inv.group_ref, buf(inviteId), requesterRef, buf(body), now],
      );
      return { ok: true, groupRef: inv.group_ref, requestId: r.rows[0]!.id };
    });
  }

  async listJoinRequests(groupRef: number, after: number, limit: number): Promise<JoinRequestRow[]> {
    const r = await this.pool.query<{ id: number; invite_id: Buffer; created_at: number; body: Buffer }>(
      'SELECT id, invite_id, created_at, body FROM join_requests WHERE group_ref = $1 AND id > $2 ORDER BY id LIMIT $3',
      [groupRef, after, limit],
    );
    return r.rows.map((x) => ({ id: x.id, inviteId: u8(x.invite_id), createdAt: x.created_at, body: u8(x.body) }));
  }

  async deleteJoinRequest(groupRef: number, id: number): Promise<boolean> {
    const r = await this.pool.query('DELETE FROM join_requests WHERE group_ref = $1 AND id = $2', [groupRef, id]);
    return r.rowCount === 1;
  }

  async sweep(olderThan: number): Promise<SweepResult> {
    return this.tx(async (c): Promise<SweepResult> => {
      const acked = await c.query(
        `WITH floors AS (
           SELECT m.group_ref, min(coalesce(c.acked_seq, m.joined_seq)) AS floor FROM group_members m
           LEFT JOIN cursors c ON c.device_ref = m.device_ref AND c.group_ref = m.group_ref GROUP BY m.group_ref)
         DELETE FROM messages USING floors WHERE messages.group_ref = floors.group_ref AND floors.floor > 0 AND messages.seq <= floors.floor`,
      );
      const old = await c.query('DELETE FROM messages WHERE sent_at < $1', [olderThan]);
      // DELETE ... RETURNING: when two instances sweep at once, each blob ID is returned to one of them.
      const blobs = await c.query<{ blob_id: Buffer }>(
        'DELETE FROM blobs WHERE created_at < $1 OR group_ref IN (SELECT id FROM groups WHERE dissolved) RETURNING blob_id',
        [olderThan],
      );
      return { messages: (acked.rowCount ?? 0) + (old.rowCount ?? 0), blobs: blobs.rows.map((r) => u8(r.blob_id)) };
    });
  }

  async putNotifySubscription(deviceRef: number, subscription: Uint8Array, now: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO notify_subscriptions (device_ref, subscription, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (device_ref) DO UPDATE SET subscription = EXCLUDED.subscription, updated_at = EXCLUDED.updated_at`,
      [deviceRef, buf(subscription), now],
    );
  }

  async deleteNotifySubscription(deviceRef: number): Promise<boolean> {
    const r = await this.pool.query('DELETE FROM notify_subscriptions WHERE device_ref = $1', [deviceRef]);
    return (r.rowCount ?? 0) > 0;
  }

  async notifySubscriptions(memberIds: Uint8Array[]): Promise<{ memberId: Uint8Array; subscription: Uint8Array }[]> {
    if (memberIds.length === 0) return [];
    const r = await this.pool.query<{ member_id: Buffer; subscription: Buffer }>(
      'SELECT d.member_id, n.subscription FROM devices d JOIN notify_subscriptions n ON n.device_ref = d.id WHERE d.member_id = ANY($1::bytea[])',
      [memberIds.map(buf)],
    );
    const byId = new Map(r.rows.map((x) => [x.member_id.toString('hex'), x.subscription]));
    const out: { memberId: Uint8Array; subscription: Uint8Array }[] = [];
    for (const memberId of memberIds) {
      const sub = byId.get(hexKey(memberId));
      if (sub) out.push({ memberId, subscription: u8(sub) });
    }
    return out;
  }

  async sizeBytes(): Promise<number> {
    const r = await this.pool.query<{ n: number }>('SELECT pg_database_size(current_database())::bigint AS n');
    return r.rows[0]?.n ?? 0;
  }

  /** PostgreSQL checkpoints by itself; every commit is already durable (synchronous_commit=on). */
  async checkpoint(): Promise<void> {}

  private closed = false;
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
