-- 0001: initial schema. Stores only public keys, signed log entries, ciphertext and routing data.
-- Internal integer IDs (devices.id, groups.id) keep the hot indexes small and time-ordered.

CREATE TABLE devices (
  id            INTEGER PRIMARY KEY,
  member_id     BLOB NOT NULL UNIQUE,         -- memberIdOf(identity key), 32 bytes
  identity_key  BLOB NOT NULL,                -- Ed25519 public key, 32 bytes
  signed_prekey BLOB,                         -- signed prekey bundle (opaque to the relay)
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);

CREATE TABLE one_time_prekeys (
  device_id INTEGER NOT NULL REFERENCES devices(id),
  prekey_id INTEGER NOT NULL,
  key       BLOB NOT NULL,
  PRIMARY KEY (device_id, prekey_id)
) WITHOUT ROWID;

CREATE TABLE groups (
  id            INTEGER PRIMARY KEY,
  group_id      BLOB NOT NULL UNIQUE,         -- from the create entry, 32 bytes
  public_state  BLOB NOT NULL,                -- encoded public fold state after the last entry
  head          BLOB NOT NULL,                -- head hash of the last entry
  epoch         INTEGER NOT NULL,
  log_length    INTEGER NOT NULL,             -- number of entries; last index = log_length - 1
  last_seq      INTEGER NOT NULL DEFAULT 0,   -- last message sequence number assigned
  dissolved     INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL
);

-- Devices the relay serves in a group (members without a pending leave), with the point they joined.
CREATE TABLE group_members (
  group_ref  INTEGER NOT NULL REFERENCES groups(id),
  device_ref INTEGER NOT NULL REFERENCES devices(id),
  joined_seq INTEGER NOT NULL,                -- messages with seq > joined_seq are theirs to read
  joined_log INTEGER NOT NULL,                -- log entries with index >= joined_log are theirs to read
  PRIMARY KEY (group_ref, device_ref)
) WITHOUT ROWID;
CREATE INDEX group_members_by_device ON group_members(device_ref);

CREATE TABLE log_entries (
  group_ref  INTEGER NOT NULL REFERENCES groups(id),
  idx        INTEGER NOT NULL,
  entry      BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (group_ref, idx)
);

CREATE TABLE envelopes (
  group_ref  INTEGER NOT NULL,
  idx        INTEGER NOT NULL,
  recipient  BLOB NOT NULL,                   -- member ID the envelope is for
  envelope   BLOB NOT NULL,
  PRIMARY KEY (group_ref, idx, recipient)
);

CREATE TABLE messages (
  id         INTEGER PRIMARY KEY,
  group_ref  INTEGER NOT NULL,
  seq        INTEGER NOT NULL,
  sender     INTEGER NOT NULL,                -- devices.id
  client_id  BLOB NOT NULL,                   -- client message ID (16 bytes; time-ordered recommended)
  epoch      INTEGER NOT NULL,
  sent_at    INTEGER NOT NULL,
  body       BLOB NOT NULL                    -- ciphertext
);
CREATE UNIQUE INDEX messages_by_group_seq ON messages(group_ref, seq);
CREATE UNIQUE INDEX messages_by_client_id ON messages(sender, client_id);
CREATE INDEX messages_by_time ON messages(sent_at);

CREATE TABLE cursors (
  device_ref INTEGER NOT NULL,
  group_ref  INTEGER NOT NULL,
  acked_seq  INTEGER NOT NULL,
  PRIMARY KEY (device_ref, group_ref)
) WITHOUT ROWID;

CREATE TABLE blobs (
  blob_id    BLOB PRIMARY KEY,                -- 16 bytes: 6-byte time || 10 random bytes
  group_ref  INTEGER NOT NULL,
  size       INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX blobs_by_time ON blobs(created_at);

CREATE TABLE invites (
  invite_id  BLOB PRIMARY KEY,                -- 16 random bytes
  group_ref  INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  max_uses   INTEGER NOT NULL,
  uses       INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);

CREATE TABLE join_requests (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  group_ref  INTEGER NOT NULL,
  invite_id  BLOB NOT NULL,
  requester  INTEGER NOT NULL,                -- devices.id
  body       BLOB NOT NULL,                   -- opaque, sealed by the joiner's client
  created_at INTEGER NOT NULL
);
CREATE INDEX join_requests_by_group ON join_requests(group_ref, id);
