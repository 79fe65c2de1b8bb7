-- 0002 (PostgreSQL): opt-in notification subscriptions, as the SQLite store's 0002.
-- One opaque token per device, as the platform issued it. The relay stores it only to hand
-- it to the notifier.

CREATE TABLE notify_subscriptions (
  device_ref   BIGINT PRIMARY KEY,
  subscription BYTEA NOT NULL,                -- 1..256 opaque bytes
  updated_at   BIGINT NOT NULL
);
