// Argument checks: caller bugs throw TypeError (wrong type) or RangeError (wrong size)
// naming the argument, before any backend runs; authentication failure is one generic
// E2eeError; no message ever carries the bytes it was given.
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/bytes';
import { AUTH_FAILED, E2eeError, RANDOM_FAILED } from '../../src/errors';
import { createPrimitives } from '../../src/primitives/index';
import { nobleBackend } from '../../src/primitives/noble';
import type { Primitives } from '../../src/primitives/types';
import { loadAll } from './backends';

const backends = (await loadAll()).map((b) => b.p);

/** A distinctive "secret" whose hex must never show up in an error message. */
const SECRET = Uint8Array.from({ length: 31 }, (_, i) => 0xa0 + (i % 16));
const b = (n: number) => new Uint8Array(n);

type Call = (p: Primitives, arg: unknown) => unknown;
interface ArgCase {
  method: string;
  arg: string;
  call: Call;
  /** A wrong size for this argument, when sizes are fixed or bounded. */
  badSize?: Uint8Array;
}

const CASES: ArgCase[] = [
  { method: 'ed25519PublicKey', arg: 'seed', call: (p, a) => p.ed25519PublicKey(a as Uint8Array), badSize: SECRET },
  { method: 'ed25519Sign', arg: 'seed', call: (p, a) => p.ed25519Sign(a as Uint8Array, b(1)), badSize: SECRET },
  { method: 'ed25519Sign', arg: 'message', call: (p, a) => p.ed25519Sign(b(32), a as Uint8Array) },
  { method: 'ed25519Verify', arg: 'publicKey', call: (p, a) => p.ed25519Verify(a as Uint8Array, b(1), b(64)), badSize: b(33) },
  { method: 'ed25519Verify', arg: 'message', call: (p, a) => p.ed25519Verify(b(32), a as Uint8Array, b(64)) },
  { method: 'ed25519Verify', arg: 'signature', call: (p, a) => p.ed25519Verify(b(32), b(1), a as Uint8Array), badSize: b(63) },
  { method: 'ed25519IsAcceptablePublicKey', arg: 'publicKey', call: (p, a) => p.ed25519IsAcceptablePublicKey(a as Uint8Array), badSize: b(31) },
  { method: 'x25519PublicKey', arg: 'privateKey', call: (p, a) => p.x25519PublicKey(a as Uint8Array), badSize: SECRET },
  { method: 'x25519', arg: 'privateKey', call: (p, a) => p.x25519(a as Uint8Array, b(32)), badSize: SECRET },
  { method: 'x25519', arg: 'publicKey', call: (p, a) => p.x25519(b(32), a as Uint8Array), badSize: b(64) },
  ...(['xchacha', 'chacha'] as const).flatMap((aead): ArgCase[] => {
    const n = aead === 'xchacha' ? 24 : 12;
    const seal = `${aead}Seal` as const;
    const open = `${aead}Open` as const;
    return [
      { method: seal, arg: 'key', call: (p, a) => p[seal](a as Uint8Array, b(n), b(0), b(0)), badSize: SECRET },
      { method: seal, arg: 'nonce', call: (p, a) => p[seal](b(32), a as Uint8Array, b(0), b(0)), badSize: b(n === 24 ? 12 : 24) },
      { method: seal, arg: 'plaintext', call: (p, a) => p[seal](b(32), b(n), a as Uint8Array, b(0)) },
      { method: seal, arg: 'aad', call: (p, a) => p[seal](b(32), b(n), b(0), a as Uint8Array) },
      { method: open, arg: 'key', call: (p, a) => p[open](a as Uint8Array, b(n), b(16), b(0)), badSize: SECRET },
      { method: open, arg: 'nonce', call: (p, a) => p[open](b(32), a as Uint8Array, b(16), b(0)), badSize: b(n + 1) },
      { method: open, arg: 'sealed', call: (p, a) => p[open](b(32), b(n), a as Uint8Array, b(0)) },
      { method: open, arg: 'aad', call: (p, a) => p[open](b(32), b(n), b(16), a as Uint8Array) },
    ];
  }),
  { method: 'hmacSha256', arg: 'key', call: (p, a) => p.hmacSha256(a as Uint8Array, b(0)) },
  { method: 'hmacSha256', arg: 'data', call: (p, a) => p.hmacSha256(b(32), a as Uint8Array) },
  { method: 'hkdfSha256Extract', arg: 'salt', call: (p, a) => p.hkdfSha256Extract(a as Uint8Array, b(0)) },
  { method: 'hkdfSha256Extract', arg: 'ikm', call: (p, a) => p.hkdfSha256Extract(b(32), a as Uint8Array) },
  { method: 'hkdfSha256Expand', arg: 'prk', call: (p, a) => p.hkdfSha256Expand(a as Uint8Array, b(0), 32), badSize: SECRET },
  { method: 'hkdfSha256Expand', arg: 'info', call: (p, a) => p.hkdfSha256Expand(b(32), a as Uint8Array, 32) },
  { method: 'sha256', arg: 'data', call: (p, a) => p.sha256(a as Uint8Array) },
  { method: 'sha512', arg: 'data', call: (p, a) => p.sha512(a as Uint8Array) },
];

const NOT_BYTES: [string, unknown][] = [
  ['string', 'abcd'],
  ['array', [1, 2, 3]],
  ['null', null],
  ['undefined', undefined],
  ['number', 32],
  ['Uint16Array', new Uint16Array(16)],
  ['ArrayBuffer', new ArrayBuffer(32)],
];

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('argument errors', () => {
  for (const p of backends) {
    describe(p.backend, () => {
      for (const c of CASES) {
        it(`${c.method}: "${c.arg}" of the wrong type is a TypeError naming it`, () => {
          for (const [label, value] of NOT_BYTES) {
            const e = thrown(() => c.call(p, value));
            expect(e, label).toBeInstanceOf(TypeError);
            expect((e as Error).message, label).toContain(`"${c.arg}"`);
          }
        });
        if (c.badSize) {
          it(`${c.method}: "${c.arg}" of the wrong size is a RangeError naming it, without the bytes`, () => {
            const e = thrown(() => c.call(p, c.badSize));
            expect(e).toBeInstanceOf(RangeError);
            expect((e as Error).message).toContain(`"${c.arg}"`);
            expect((e as Error).message.toLowerCase()).not.toContain(bytesToHex(c.badSize!).slice(0, 16));
          });
        }
      }

      it('integer arguments: TypeError for non-integers, RangeError out of range', () => {
        for (const bad of [1.5, Number.NaN, '32', null, 2 ** 60]) {
          const e = thrown(() => p.hkdfSha256Expand(b(32), b(0), bad as number));
          expect(e).toBeInstanceOf(TypeError);
          expect((e as Error).message).toContain('"length"');
        }
        for (const bad of [-1, 255 * 32 + 1]) {
          const e = thrown(() => p.hkdfSha256Expand(b(32), b(0), bad));
          expect(e).toBeInstanceOf(RangeError);
          expect((e as Error).message).toContain('"length"');
        }
        expect(p.hkdfSha256Expand(b(32), b(0), 255 * 32).length).toBe(255 * 32);
        expect(thrown(() => p.randomBytes(-1))).toBeInstanceOf(RangeError);
        expect(thrown(() => p.randomBytes(0.5))).toBeInstanceOf(TypeError);
        expect(thrown(() => p.randomBytes((1 << 20) + 1))).toBeInstanceOf(RangeError);
        expect(p.randomBytes(0).length).toBe(0);
      });

      it('AEAD failure is one E2E_ERR_AUTH_FAILED "invalid tag", whatever went wrong', () => {
        const key = p.randomBytes(32);
        const nonce = p.randomBytes(24);
        const sealed = p.xchachaSeal(key, nonce, SECRET, b(3));
        const attempts: (() => unknown)[] = [
          () => p.xchachaOpen(p.randomBytes(32), nonce, sealed, b(3)), // wrong key
          () => p.xchachaOpen(key, nonce, sealed, b(4)), // wrong aad
          () => p.xchachaOpen(key, nonce, sealed.subarray(0, 15), b(3)), // shorter than a tag
          () => p.xchachaOpen(key, nonce, b(0), b(3)), // empty
          () => p.chachaOpen(key, nonce.subarray(0, 12), sealed, b(3)),
        ];
        for (const attempt of attempts) {
          const e = thrown(attempt);
          expect(e).toBeInstanceOf(E2eeError);
          expect((e as E2eeError).code).toBe(AUTH_FAILED);
          expect((e as Error).message).toBe('invalid tag');
        }
      });

      it('ed25519Verify returns false (never throws) on any 32-byte key and 64-byte signature', () => {
        expect(p.ed25519Verify(b(32), b(0), b(64))).toBe(false);
        expect(p.ed25519Verify(new Uint8Array(32).fill(0xff), b(0), new Uint8Array(64).fill(0xff))).toBe(false);
      });
    });
  }

  it('createPrimitives needs a random source function; a bad source is E2E_ERR_RANDOM_FAILED', () => {
    expect(thrown(() => createPrimitives(nobleBackend, 'random' as never))).toBeInstanceOf(TypeError);
    const short = createPrimitives(nobleBackend, (n) => new Uint8Array(Math.max(0, n - 1)));
    const e = thrown(() => short.randomBytes(16));
    expect(e).toBeInstanceOf(E2eeError);
    expect((e as E2eeError).code).toBe(RANDOM_FAILED);
    const wrongType = createPrimitives(nobleBackend, (n) => new Array(n).fill(0) as unknown as Uint8Array);
    expect((thrown(() => wrongType.randomBytes(4)) as E2eeError).code).toBe(RANDOM_FAILED);
  });
});
