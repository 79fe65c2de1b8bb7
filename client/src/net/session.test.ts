// The session keeper: one login shared by concurrent callers, reuse until shortly before the
// lifetime the relay granted (counted on the local clock, whatever the relay's clock says),
// and a refusal during a login not resurrecting the refused session.
import { describe, expect, it } from 'vitest';
import { createSessionKeeper } from './session';
import type { Platform, Session } from './types';

function harness(lifetimeMs: number | undefined, relayClockOffset = 0) {
  let now = 1_000_000;
  let logins = 0;
  const resolvers: ((s: Session) => void)[] = [];
  let manual = false;
  const platform = { now: () => now } as unknown as Platform;
  const make = (): Session => {
    logins++;
    const s: Session = { token: new Uint8Array(32).fill(logins), memberId: new Uint8Array(32), expiresAt: now + relayClockOffset + (lifetimeMs ?? 60_000) };
    if (lifetimeMs !== undefined) s.lifetimeMs = lifetimeMs;
    return s;
  };
  const keeper = createSessionKeeper({
    platform,
    api: { login: () => (manual ? new Promise<Session>((r) => resolvers.push(() => r(make()))) : Promise.resolve(make())) },
    identityKey: new Uint8Array(32),
    sign: () => new Uint8Array(64),
  });
  return {
    keeper,
    logins: () => logins,
    advance: (ms: number) => (now += ms),
    holdLogins: () => (manual = true),
    release: () => resolvers.splice(0).forEach((r) => r(undefined as never)),
  };
}

describe('session keeper', () => {
  it('shares one login among concurrent callers and reuses it', async () => {
    const h = harness(3600_000);
    const [a, b] = await Promise.all([h.keeper.ensure(), h.keeper.ensure()]);
    expect(a).toBe(b);
    expect(await h.keeper.ensure()).toBe(a);
    expect(h.logins()).toBe(1);
  });

  it('renews shortly before the granted lifetime ends on the local clock, even when the relay clock is far off', async () => {
    const h = harness(3600_000, -5 * 3600_000); // the relay's clock is 5 h behind: expiresAt is "past" locally
    const s = await h.keeper.ensure();
    expect(h.keeper.current()).toBe(s);
    h.advance(3600_000 - 31_000);
    expect(h.keeper.current()).toBe(s);
    h.advance(2_000); // inside the 30 s margin
    expect(h.keeper.current()).toBeUndefined();
    expect(await h.keeper.ensure()).not.toBe(s);
    expect(h.logins()).toBe(2);
  });

  it('a short lifetime gets a margin of a tenth of it', async () => {
    const h = harness(10_000);
    const s = await h.keeper.ensure();
    h.advance(8_900);
    expect(h.keeper.current()).toBe(s);
    h.advance(200);
    expect(h.keeper.current()).toBeUndefined();
  });

  it('invalidate() during a login: the result of that login is not kept, renew() logs in afresh', async () => {
    const h = harness(3600_000);
    h.holdLogins();
    const first = h.keeper.ensure();
    h.keeper.invalidate();
    const second = h.keeper.renew();
    h.release();
    const [a, b] = await Promise.all([first, second]);
    expect(a).not.toBe(b);
    expect(h.logins()).toBe(2);
    expect(h.keeper.current()).toBe(b);
  });
});
