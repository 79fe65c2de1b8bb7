// Keeps one relay session per device: logs in on demand (one login in flight at a time),
// reuses the session until shortly before it expires, and forgets it when the relay says
// it is no longer good (401 / close code 4401 or 4403).
//
// Session.expiresAt is in the relay's clock. The keeper counts the lifetime the relay
// granted (Session.lifetimeMs) from the local time the login started, so a device whose
// clock is off still renews in time.
import type { Platform, RelayApi, Session } from './types';

export interface SessionKeeperOptions {
  platform: Platform;
  /** Only `login` is used. */
  api: Pick<RelayApi, 'login'>;
  identityKey: Uint8Array;
  /** Signs a relay auth challenge: signRelayAuthChallenge(p, seed, challenge). */
  sign: (challenge: Uint8Array) => Uint8Array;
  /** Renew this long before the local expiry, ms. Default 30 000 (or a tenth of a short lifetime). */
  renewMarginMs?: number;
}

export interface SessionKeeper {
  /** The session while it is valid on the local clock, else undefined. */
  current(): Session | undefined;
  /** The current session, or a fresh login (concurrent callers share one login). */
  ensure(): Promise<Session>;
  /** Forgets the session (the relay refused it); the next ensure() logs in. */
  invalidate(): void;
  /** invalidate() then ensure(). */
  renew(): Promise<Session>;
}

export function createSessionKeeper(opts: SessionKeeperOptions): SessionKeeper {
  const { platform, api, identityKey, sign } = opts;
  let session: Session | undefined;
  let localDeadline = 0;
  let inFlight: Promise<Session> | null = null;
  let generation = 0;

  const current = () => (session && platform.now() < localDeadline ? session : undefined);

  function ensure(): Promise<Session> {
    const s = current();
    if (s) return Promise.resolve(s);
    if (inFlight) return inFlight;
    const gen = generation;
    const started = platform.now();
    const attempt: Promise<Session> = api
      .login(identityKey, sign)
      .then((fresh) => {
        const lifetime = fresh.lifetimeMs ?? Math.max(0, fresh.expiresAt - platform.now());
        const margin = Math.min(opts.renewMarginMs ?? 30_000, Math.floor(lifetime / 10));
        if (gen === generation) {
          session = fresh;
          localDeadline = started + lifetime - margin;
        }
        return fresh;
      })
      .finally(() => {
        if (inFlight === attempt) inFlight = null;
      });
    inFlight = attempt;
    return attempt;
  }

  return {
    current,
    ensure,
    invalidate() {
      session = undefined;
      localDeadline = 0;
      generation++;
      inFlight = null; // a login started before this refusal may carry the refused state
    },
    renew() {
      this.invalidate();
      return ensure();
    },
  };
}
