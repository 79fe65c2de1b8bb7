// Login challenges and session tokens, held in memory: a restart logs every device out
// (clients log in again; nothing else is lost). Challenges are single use and expire;
// tokens are random 32-byte bearer secrets with a short lifetime, looked up by value.
import { randomBytes } from 'node:crypto';
import { bytesToHex } from '../../crypto/src/bytes';

export interface Session {
  memberId: Uint8Array;
  memberHex: string;
  deviceRef: number;
  expiresAt: number;
}

/** Cap on outstanding challenges, so a flood of challenge requests cannot exhaust memory. */
const MAX_PENDING_CHALLENGES = 100_000;
/** How long an expired token is still recognised as expired (then it is unknown). */
const EXPIRED_TOKEN_MEMORY_MS = 10 * 60_000;

export class Sessions {
  private readonly challenges = new Map<string, number>(); // nonce hex -> expiresAt
  private readonly tokens = new Map<string, Session>();

  constructor(
    private readonly tokenTtlMs: number,
    private readonly challengeTtlMs: number,
  ) {}

  /** A fresh single-use nonce and its expiry, or null when too many are outstanding. */
  issueNonce(now: number): { nonce: Uint8Array; expiresAt: number } | null {
    if (this.challenges.size >= MAX_PENDING_CHALLENGES) this.sweep(now);
    if (this.challenges.size >= MAX_PENDING_CHALLENGES) return null;
    const nonce = new Uint8Array(randomBytes(32));
    const expiresAt = now + this.challengeTtlMs;
    this.challenges.set(bytesToHex(nonce), expiresAt);
    return { nonce, expiresAt };
  }

  /** Consumes a nonce: true once, if it was issued and has not expired. */
  consumeNonce(nonce: Uint8Array, now: number): boolean {
    const key = bytesToHex(nonce);
    const exp = this.challenges.get(key);
    if (exp === undefined) return false;
    this.challenges.delete(key);
    return now <= exp;
  }

  issueToken(memberId: Uint8Array, deviceRef: number, now: number): { token: Uint8Array; session: Session } {
    const token = new Uint8Array(randomBytes(32));
    const session: Session = { memberId, memberHex: bytesToHex(memberId), deviceRef, expiresAt: now + this.tokenTtlMs };
    this.tokens.set(bytesToHex(token), session);
    return { token, session };
  }

  /** The session of a token, or 'expired' / null (unknown). */
  lookup(token: Uint8Array, now: number): Session | 'expired' | null {
    const key = bytesToHex(token);
    const s = this.tokens.get(key);
    if (!s) return null;
    if (now > s.expiresAt) return 'expired'; // kept until sweep, so the answer stays 'expired'
    return s;
  }

  sweep(now: number): void {
    for (const [k, exp] of this.challenges) if (now > exp) this.challenges.delete(k);
    // Expired tokens are remembered for a while so a client is told 'expired', not 'unknown'.
    for (const [k, s] of this.tokens) if (now > s.expiresAt + EXPIRED_TOKEN_MEMORY_MS) this.tokens.delete(k);
  }
}
