-- 0002: opt-in notification subscriptions (relay/src/notify, docs/RELAY.md "Notifications").
-- One opaque token per device, as the platform issued it (e.g. a WeChat template-subscription
-- grant bound to the member's openid). The relay stores it only to hand it to the notifier.

CREATE TABLE notify_subscriptions (
  device_ref   INTEGER PRIMARY KEY REFERENCES devices(id),
  subscription BLOB NOT NULL,                 -- 1..256 opaque bytes
  updated_at   INTEGER NOT NULL
);
