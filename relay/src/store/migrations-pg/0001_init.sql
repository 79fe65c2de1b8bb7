-- 0001 (PostgreSQL): the same schema as the SQLite store's 0001_init.sql, in PostgreSQL types.
-- Stores only public keys, signed log entries, ciphertext and routing data. Integers that can
-- grow past 2^31 (IDs, sequence numbers, millisecond times) are BIGINT; the store parses them
-- back into JavaScript numbers (all stay below 2^53).

CREATE TABLE devices (
  id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  member_id     BYTEA NOT NULL UNIQUE,        -- memberIdOf(identity key), 32 bytes
  identity_key  BYTEA NOT NULL,               -- Ed25519 public key, 32 bytes (empty until first login)
  signed_prekey BYTEA,                        -- signed prekey bundle (opaque to the relay)
  created_at    BIGINT NOT NULL,
  updated_at    BIGINT NOT NULL
);

CREATE TABLE one_time_prekeys (
  device_id BIGINT NOT NULL,
  prekey_id BIGINT NOT NULL,
  key       BYTEA NOT NULL,
  PRIMARY KEY (device_id, prekey_id)
);

-- One row per group; the row is the lock that serialises appends and sequence numbers
-- across relay instances (SELECT ... FOR UPDATE).
CREATE TABLE groups (
  id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  group_id      BYTEA NOT NULL UNIQUE,        -- from the create entry, 32 bytes
  public_state  BYTEA NOT NULL,               -- encoded public fold state after the last entry
  head          BYTEA NOT NULL,               -- head hash of the last entry
  epoch         BIGINT NOT NULL,
  log_length    BIGINT NOT NULL,              -- number of entries; last index = log_length - 1
  last_seq      BIGINT NOT NULL DEFAULT 0,    -- last message sequence number assigned
  dissolved     BOOLEAN NOT NULL DEFAULT FALSE,
  created_at    BIGINT NOT NULL
);

CREATE TABLE group_members (
  group_ref  BIGINT NOT NULL,
  device_ref BIGINT NOT NULL,
  joined_seq BIGINT NOT NULL,                 -- messages with seq > joined_seq are theirs to read
  joined_log BIGINT NOT NULL,                 -- log entries with index >= joined_log are theirs to read
  PRIMARY KEY (group_ref, device_ref)
);
CREATE INDEX group_members_by_device ON group_members(device_ref);

CREATE TABLE log_entries (
  group_ref  BIGINT NOT NULL,
  idx        BIGINT NOT NULL,
  entry      BYTEA NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (group_ref, idx)
);

CREATE TABLE envelopes (
  group_ref  BIGINT NOT NULL,
  idx        BIGINT NOT NULL,
  recipient  BYTEA NOT NULL,                  -- member ID the envelope is for
  envelope   BYTEA NOT NULL,
  PRIMARY KEY (group_ref, idx, recipient)
);

CREATE TABLE messages (
  id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  group_ref  BIGINT NOT NULL,
  seq        BIGINT NOT NULL,
  sender     BIGINT NOT NULL,                 -- devices.id
  client_id  BYTEA NOT NULL,                  -- client message ID (16 bytes)
  epoch      BIGINT NOT NULL,
  sent_at    BIGINT NOT NULL,
  body       BYTEA NOT NULL                   -- ciphertext
);
CREATE UNIQUE INDEX messages_by_group_seq ON messages(group_ref, seq);
CREATE UNIQUE INDEX messages_by_client_id ON messages(sender, client_id);
CREATE INDEX messages_by_time ON messages(sent_at);

CREATE TABLE cursors (
  device_ref BIGINT NOT NULL,
  group_ref  BIGINT NOT NULL,
  acked_seq  BIGINT NOT NULL,
  PRIMARY KEY (device_ref, group_ref)
);

CREATE TABLE blobs (
  blob_id    BYTEA PRIMARY KEY,               -- 16 bytes: 6-byte time || 10 random bytes
  group_ref  BIGINT NOT NULL,
  size       BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX blobs_by_time ON blobs(created_at);

CREATE TABLE invites (
  invite_id  BYTEA PRIMARY KEY,               -- 16 random bytes
  group_ref  BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  max_uses   BIGINT NOT NULL,
  uses       BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL
);

CREATE TABLE join_requests (
  id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  group_ref  BIGINT NOT NULL,
  invite_id  BYTEA NOT NULL,
  requester  BIGINT NOT NULL,                 -- devices.id
  body       BYTEA NOT NULL,                  -- opaque, sealed by the joiner's client
  created_at BIGINT NOT NULL
);
CREATE INDEX join_requests_by_group ON join_requests(group_ref, id);
