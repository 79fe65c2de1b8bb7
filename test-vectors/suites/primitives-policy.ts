// Vectors for the one verification policy above every primitive backend
// (crypto/src/primitives/policy.ts, docs/PRIMITIVES.md). Wycheproof-style: each test has
// tcId, comment, flags (the rules it exercises), hex inputs and result "valid"/"invalid";
// `error` names the exception a rejection must raise when it is not a plain `false`.
//
// Ed25519Verify tests also record which RAW backends (without the policy) accept them
// (`rawAcceptedBy`) and whether @noble/curves' cofactored `verify` does
// (`cofactoredAccepts`): the disagreements the policy exists to remove.
// crypto/test/primitives/policy.test.ts checks those two fields against the real libraries.
import { ed25519, ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, equalBytes, hexToBytes, isBytes, utf8Encode } from '../../crypto/src/bytes';
import { isE2eeError, ZERO_SHARED_SECRET } from '../../crypto/src/errors';
import { nobleBackend } from '../../crypto/src/primitives/noble';
import { ed25519PublicKeyVerdictUncached, ed25519SignatureVerdict } from '../../crypto/src/primitives/policy';
import type { Primitives } from '../../crypto/src/primitives/types';
import { seededRandom } from '../seeded-random';
import type { VectorSuite } from '../suite';

const Point = ed25519.Point;
type EdPoint = InstanceType<typeof Point>;
const L = Point.Fn.ORDER;
const P = Point.Fp.ORDER;

/** Flags that name a rule of the policy; the verifier recomputes them from policy.ts. */
export const POLICY_FLAGS = ['NonCanonicalKey', 'SmallOrderKey', 'NotOnCurve', 'MixedOrderKey', 'NonCanonicalR', 'SmallOrderR', 'NonCanonicalS'] as const;

type Result = 'valid' | 'invalid';
interface BaseTest {
  tcId: number;
  comment: string;
  flags: string[];
  result: Result;
  error?: 'RangeError' | typeof ZERO_SHARED_SECRET;
}
export interface PublicKeyTest extends BaseTest {
  publicKey: string;
}
export interface VerifyTest extends BaseTest {
  publicKey: string;
  msg: string;
  sig: string;
  rawAcceptedBy: string[];
  cofactoredAccepts: boolean;
}
export interface X25519Test extends BaseTest {
  private: string;
  public: string;
  shared: string | null;
}
export interface PolicyVectors {
  description: string;
  notes: Record<string, string>;
  testGroups: [
    { type: 'Ed25519PublicKey'; tests: PublicKeyTest[] },
    { type: 'Ed25519Verify'; tests: VerifyTest[] },
    { type: 'X25519'; tests: X25519Test[] },
  ];
}

const NOTES: Record<string, string> = {
  Valid: 'A control that every backend must accept.',
  NonCanonicalKey: 'Public key encodes y >= p, or x = 0 with the sign bit set. Rejected.',
  SmallOrderKey: 'Public key is one of the 8 points of order 1, 2, 4 or 8. Rejected.',
  NotOnCurve: 'Public key y has no matching x on the curve. Rejected.',
  MixedOrderKey: 'Public key = prime-order point + small-order point (not in the prime-order subgroup). Rejected.',
  NonCanonicalR: 'R encodes y >= p, or x = 0 with the sign bit set. Rejected.',
  SmallOrderR: 'R is one of the 8 small-order points. Rejected.',
  NonCanonicalS: 'S >= L (S = L exactly included). Rejected.',
  MixedOrderR: 'R = prime-order point + small-order point: passes the cofactored equation, fails the cofactorless one every backend uses. Rejected.',
  CofactoredOnly: 'Accepted by a cofactored verifier ([8]([S]B - R - [k]A) = 0), rejected by the cofactorless equation.',
  BadSignature: 'A well-formed signature over a different message. Rejected.',
  WrongLength: 'Key or signature of the wrong size: a caller bug, RangeError naming the argument.',
  ZeroSharedSecret: 'Low-order X25519 input: the shared secret is all zeros. Rejected with E2E_ERR_ZERO_SHARED_SECRET.',
};

const hexOf = (b: Uint8Array): string => bytesToHex(b);

/** k = SHA-512(R || A || M) mod L (RFC 8032). */
function challenge(r: Uint8Array, a: Uint8Array, msg: Uint8Array): bigint {
  return bytesToNumberLE(sha512(concatBytes(r, a, msg))) % L;
}

function mod(x: bigint, m: bigint): bigint {
  const r = x % m;
  return r < 0n ? r + m : r;
}

/** A signer that knows its scalar and can build any (R, S) it likes. */
interface Signer {
  scalar: bigint;
  publicKey: Uint8Array;
}

function signerFrom(random: (n: number) => Uint8Array): Signer {
  const { scalar, pointBytes } = ed25519.utils.getExtendedPublicKey(random(32));
  return { scalar, publicKey: pointBytes };
}

function scalarBytes(s: bigint): Uint8Array {
  return numberToBytesLE(s, 32);
}

/** Cofactored check as @noble/curves performs it (strict decoding). */
function cofactoredAccepts(pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  try {
    return ed25519.verify(sig, msg, pk, { zip215: false });
  } catch {
    return false;
  }
}

const SMALL_ORDER_CANONICAL = ED25519_TORSION_SUBGROUP.map((h) => hexToBytes(h));

function encodeLE(y: bigint, signBit: boolean): Uint8Array {
  const out = numberToBytesLE(y, 32);
  if (signBit) out[31]! |= 0x80;
  return out;
}

export function generate(): PolicyVectors {
  const random = seededRandom('primitives-policy v1');
  let tcId = 0;
  const next = () => ++tcId;

  // ---------- Ed25519 public keys ----------
  const keyTests: PublicKeyTest[] = [];
  const addKey = (publicKey: Uint8Array, comment: string, flags: string[], result: Result, error?: 'RangeError') =>
    keyTests.push({ tcId: next(), comment, flags, publicKey: hexOf(publicKey), result, ...(error ? { error } : {}) });

  for (let i = 0; i < 3; i++) addKey(signerFrom(random).publicKey, 'public key from a random seed', ['Valid'], 'valid');
  SMALL_ORDER_CANONICAL.forEach((pk, i) => addKey(pk, `small-order point #${i} (canonical encoding)`, ['SmallOrderKey'], 'invalid'));
  // Non-canonical encodings of small-order points: y = p (= 0), y = p + 1 (= 1), either sign;
  // and the sign bit set where x = 0 (y = 1, y = p - 1).
  addKey(encodeLE(P, false), 'y = p (non-canonical 0: order-4 point)', ['NonCanonicalKey'], 'invalid');
  addKey(encodeLE(P, true), 'y = p, sign bit set (non-canonical 0: order-4 point)', ['NonCanonicalKey'], 'invalid');
  addKey(encodeLE(P + 1n, false), 'y = p + 1 (non-canonical identity)', ['NonCanonicalKey'], 'invalid');
  addKey(encodeLE(P + 1n, true), 'y = p + 1, sign bit set (non-canonical identity)', ['NonCanonicalKey'], 'invalid');
  addKey(encodeLE(1n, true), 'identity with the sign bit set (x = 0)', ['NonCanonicalKey'], 'invalid');
  addKey(encodeLE(P - 1n, true), 'order-2 point with the sign bit set (x = 0)', ['NonCanonicalKey'], 'invalid');
  // Non-canonical y outside the small-order set.
  addKey(encodeLE(P + 2n, false), 'y = p + 2', ['NonCanonicalKey'], 'invalid');
  addKey(encodeLE((1n << 255n) - 1n, true), 'all bits set', ['NonCanonicalKey'], 'invalid');
  // Canonical y with no point on the curve: first few, found deterministically.
  let found = 0;
  for (let y = 2n; found < 2; y++) {
    const enc = encodeLE(y, false);
    try {
      Point.fromBytes(enc, false);
    } catch {
      addKey(enc, `y = ${y}: not on the curve`, ['NotOnCurve'], 'invalid');
      found++;
    }
  }
  // Mixed order: a prime-order point plus each non-identity small-order point.
  const mixedSigner = signerFrom(random);
  const primePart = Point.fromBytes(mixedSigner.publicKey);
  SMALL_ORDER_CANONICAL.forEach((t, i) => {
    const torsion = Point.fromBytes(t);
    if (torsion.is0()) return;
    addKey(primePart.add(torsion).toBytes(), `prime-order point + small-order point #${i}`, ['MixedOrderKey'], 'invalid');
  });
  addKey(new Uint8Array(31), '31-byte public key', ['WrongLength'], 'invalid', 'RangeError');
  addKey(new Uint8Array(33), '33-byte public key', ['WrongLength'], 'invalid', 'RangeError');

  // ---------- Ed25519 signatures ----------
  const verifyTests: VerifyTest[] = [];
  const addSig = (
    pk: Uint8Array,
    msg: Uint8Array,
    sig: Uint8Array,
    comment: string,
    flags: string[],
    result: Result,
    rawAcceptedBy: string[],
    error?: 'RangeError',
  ) =>
    verifyTests.push({
      tcId: next(),
      comment,
      flags,
      publicKey: hexOf(pk),
      msg: hexOf(msg),
      sig: hexOf(sig),
      result,
      ...(error ? { error } : {}),
      rawAcceptedBy,
      cofactoredAccepts: pk.length === 32 && sig.length === 64 ? cofactoredAccepts(pk, msg, sig) : false,
    });
  const ALL = ['noble', 'sodium', 'node'];

  const honest = signerFrom(random);
  const honestSeed = random(32);
  const honestPk = ed25519.getPublicKey(honestSeed);
  const msgs = ['', '你好，世界', 'wxe2ee policy control'].map((m) => utf8Encode(m));
  for (const m of msgs) addSig(honestPk, m, ed25519.sign(m, honestSeed), 'RFC 8032 signature', ['Valid'], 'valid', ALL);
  const goodMsg = msgs[2]!;
  const goodSig = ed25519.sign(goodMsg, honestSeed);
  addSig(honestPk, utf8Encode('wxe2ee policy control!'), goodSig, 'signature over another message', ['BadSignature'], 'invalid', []);

  /** Signature (R, S) over msg by `signer` with a chosen R point and nonce scalar r (R = [r]B + extra). */
  const craft = (signer: Signer, rPoint: EdPoint, r: bigint, msg: Uint8Array) => {
    const rBytes = rPoint.toBytes();
    const k = challenge(rBytes, signer.publicKey, msg);
    return { sig: concatBytes(rBytes, scalarBytes(mod(r + k * signer.scalar, L))), k };
  };

  // The node:crypto case: small-order key, R = identity, S = 0. [0]B - [k]A = identity iff
  // [k]A = identity, which holds for A = identity always and otherwise when ord(A) | k:
  // grind the message so it holds, then OpenSSL's cofactorless check accepts.
  const identity = Point.ZERO.toBytes();
  SMALL_ORDER_CANONICAL.forEach((a, i) => {
    const sig = concatBytes(identity, new Uint8Array(32));
    for (let n = 0; ; n++) {
      const msg = utf8Encode(`small-order key #${i}, attempt ${n}`);
      const k = challenge(identity, a, msg);
      if (Point.fromBytes(a).multiplyUnsafe(k).is0()) {
        addSig(a, msg, sig, `small-order key #${i}, R = identity, S = 0 (node:crypto accepts it raw)`, ['SmallOrderKey', 'SmallOrderR'], 'invalid', ['node']);
        break;
      }
    }
  });

  // Small-order R with an honest key, S = k * a: [S]B - [k]A = identity, so R = identity passes the
  // cofactorless equation (OpenSSL and a plain cofactorless check accept; libsodium rejects small-order R).
  SMALL_ORDER_CANONICAL.forEach((t, i) => {
    const rPoint = Point.fromBytes(t);
    const { sig } = craft(honest, rPoint, 0n, goodMsg);
    const accepted = rPoint.is0() ? ['noble', 'node'] : [];
    addSig(honest.publicKey, goodMsg, sig, `honest key, R = small-order point #${i}, S = k*a`, ['SmallOrderR'], 'invalid', accepted);
  });

  // Mixed-order R with an honest key: R = [r]B + T. Cofactored verifiers accept, cofactorless reject.
  SMALL_ORDER_CANONICAL.slice(1, 4).forEach((t, j) => {
    const r = bytesToNumberLE(random(32)) % L;
    const rPoint = Point.BASE.multiply(r).add(Point.fromBytes(t));
    const { sig } = craft(honest, rPoint, r, goodMsg);
    addSig(honest.publicKey, goodMsg, sig, `honest key, R = [r]B + small-order point #${j + 1}`, ['MixedOrderR', 'CofactoredOnly'], 'invalid', []);
  });

  // Mixed-order public key A = [a]B + T (T of order 8), signed with a: [S]B - [k]A = R - [k]T.
  // When 8 | k every cofactorless backend accepts (the policy must reject the key); otherwise
  // only a cofactored verifier accepts.
  const order8 = Point.fromBytes(SMALL_ORDER_CANONICAL[1]!);
  const mixedKey: Signer = { scalar: mixedSigner.scalar, publicKey: primePart.add(order8).toBytes() };
  let madeDivisible = false;
  let madeOther = false;
  for (let n = 0; !(madeDivisible && madeOther); n++) {
    const msg = utf8Encode(`mixed-order key, attempt ${n}`);
    const r = bytesToNumberLE(random(32)) % L;
    // S = r + k*a where the key is A = [a]B + T: sign against the mixed key's bytes.
    const { sig, k } = craft(mixedKey, Point.BASE.multiply(r), r, msg);
    if (k % 8n === 0n && !madeDivisible) {
      addSig(mixedKey.publicKey, msg, sig, 'mixed-order key, 8 | k: every raw backend accepts', ['MixedOrderKey'], 'invalid', ALL);
      madeDivisible = true;
    } else if (k % 8n !== 0n && !madeOther) {
      addSig(mixedKey.publicKey, msg, sig, 'mixed-order key, 8 does not divide k: cofactored verifiers accept', ['MixedOrderKey', 'CofactoredOnly'], 'invalid', []);
      madeOther = true;
    }
  }

  // S >= L: S + L (what a verifier that reduces S would accept), S = L exactly, S = 2^256 - 1.
  const rGood = goodSig.subarray(0, 32);
  const sGood = bytesToNumberLE(goodSig.subarray(32));
  addSig(honestPk, goodMsg, concatBytes(rGood, scalarBytes(sGood + L)), 'S + L (non-canonical S of a valid signature)', ['NonCanonicalS'], 'invalid', []);
  addSig(honestPk, goodMsg, concatBytes(rGood, scalarBytes(L)), 'S = L exactly', ['NonCanonicalS'], 'invalid', []);
  addSig(honestPk, goodMsg, concatBytes(rGood, new Uint8Array(32).fill(0xff)), 'S = 2^256 - 1', ['NonCanonicalS'], 'invalid', []);

  // Non-canonical R encodings.
  const sGoodBytes = goodSig.subarray(32);
  addSig(honestPk, goodMsg, concatBytes(encodeLE(P + 1n, false), sGoodBytes), 'R: y = p + 1 (non-canonical identity)', ['NonCanonicalR'], 'invalid', []);
  addSig(honestPk, goodMsg, concatBytes(encodeLE(P, true), sGoodBytes), 'R: y = p, sign bit set', ['NonCanonicalR'], 'invalid', []);
  addSig(honestPk, goodMsg, concatBytes(encodeLE(1n, true), sGoodBytes), 'R: identity with the sign bit set', ['NonCanonicalR'], 'invalid', []);
  addSig(honestPk, goodMsg, concatBytes(encodeLE((1n << 255n) - 1n, false), sGoodBytes), 'R: y = 2^255 - 1', ['NonCanonicalR'], 'invalid', []);
  // A valid signature's R made non-canonical by setting the sign bit of an x = 0 point does not
  // exist for a prime-order R, so the above are crafted; S stays a real S.

  // Wrong lengths (caller bugs).
  addSig(honestPk, goodMsg, goodSig.subarray(0, 63), '63-byte signature', ['WrongLength'], 'invalid', [], 'RangeError');
  addSig(honestPk, goodMsg, concatBytes(goodSig, new Uint8Array(1)), '65-byte signature', ['WrongLength'], 'invalid', [], 'RangeError');
  addSig(honestPk.subarray(0, 31), goodMsg, goodSig, '31-byte public key', ['WrongLength'], 'invalid', [], 'RangeError');
  addSig(concatBytes(honestPk, new Uint8Array(1)), goodMsg, goodSig, '33-byte public key', ['WrongLength'], 'invalid', [], 'RangeError');

  // ---------- X25519 ----------
  const xTests: X25519Test[] = [];
  for (let i = 0; i < 2; i++) {
    const a = random(32);
    const bPub = nobleBackend.x25519PublicKey(random(32));
    xTests.push({ tcId: next(), comment: 'random key pair', flags: ['Valid'], private: hexOf(a), public: hexOf(bPub), shared: hexOf(nobleBackend.x25519(a, bPub)), result: 'valid' });
  }
  const lowOrderU: [bigint, string][] = [
    [0n, 'u = 0 (order 2)'],
    [1n, 'u = 1 (order 4)'],
    [P - 1n, 'u = p - 1'],
    [325606250916557431795983626356110631294008115727848805560023387167927233504n, 'order-8 point'],
    [39382357235489614581723060781553021112529911719440698176882885853963445705823n, 'order-8 point'],
    [P, 'u = p (non-canonical 0)'],
    [P + 1n, 'u = p + 1 (non-canonical 1)'],
  ];
  for (const [u, what] of lowOrderU) {
    for (const high of [false, true]) {
      const pub = encodeLE(u, high);
      const priv = random(32);
      const shared = nobleBackend.x25519(priv, pub);
      if (!shared.every((b) => b === 0)) throw new Error(`generator bug: ${what} is not low order`);
      xTests.push({
        tcId: next(),
        comment: `low-order public key: ${what}${high ? ', bit 255 set (ignored by X25519)' : ''}`,
        flags: ['ZeroSharedSecret'],
        private: hexOf(priv),
        public: hexOf(pub),
        shared: null,
        result: 'invalid',
        error: ZERO_SHARED_SECRET,
      });
    }
  }
  xTests.push({ tcId: next(), comment: '31-byte public key', flags: ['WrongLength'], private: hexOf(random(32)), public: hexOf(new Uint8Array(31).fill(9)), shared: null, result: 'invalid', error: 'RangeError' });

  return {
    description:
      'The verification policy every primitive backend (noble, sodium, node) applies identically. ' +
      'See docs/PRIMITIVES.md. Hex strings are lowercase; "error" names the exception a rejection raises ' +
      '(otherwise Ed25519 verification returns false). rawAcceptedBy lists the backends that accept the input ' +
      'without the policy ("node" is node:crypto, i.e. OpenSSL); cofactoredAccepts is @noble/curves verify() with zip215: false.',
    notes: NOTES,
    testGroups: [
      { type: 'Ed25519PublicKey', tests: keyTests },
      { type: 'Ed25519Verify', tests: verifyTests },
      { type: 'X25519', tests: xTests },
    ],
  };
}

/** The policy flags our own policy functions compute for an input (length-checked inputs only). */
export function policyFlagsFor(publicKey: Uint8Array, signature?: Uint8Array): string[] {
  const flags: string[] = [];
  if (publicKey.length === 32) {
    const v = ed25519PublicKeyVerdictUncached(publicKey);
    if (v !== 'ok') flags.push(v);
  }
  if (signature && signature.length === 64) {
    const v = ed25519SignatureVerdict(signature);
    if (v !== 'ok') flags.push(v);
  }
  return flags;
}

function expectedPolicyFlags(flags: string[]): string[] {
  return flags.filter((f) => (POLICY_FLAGS as readonly string[]).includes(f));
}

function describeOutcome(f: () => unknown): string {
  try {
    const v = f();
    return isBytes(v) ? `bytes:${bytesToHex(v)}` : String(v);
  } catch (e) {
    if (isE2eeError(e)) return e.code;
    if (e instanceof RangeError) return 'RangeError';
    return `unexpected ${e instanceof Error ? e.name : typeof e}`;
  }
}

export function verify(data: unknown, p: Primitives): string[] {
  const mismatches: string[] = [];
  const v = data as PolicyVectors;
  if (!v || !Array.isArray(v.testGroups) || v.testGroups.length !== 3) return ['file: expected three test groups'];
  const [keys, sigs, xs] = v.testGroups;
  const check = (t: BaseTest, got: string, want: string) => {
    if (got !== want) mismatches.push(`tcId ${t.tcId} (${t.comment}): expected ${want}, got ${got}`);
  };
  const checkFlags = (t: BaseTest, computed: string[]) => {
    const want = expectedPolicyFlags(t.flags);
    if (computed.join(',') !== want.join(',')) mismatches.push(`tcId ${t.tcId}: flags: expected ${want.join(',') || '-'}, policy says ${computed.join(',') || '-'}`);
  };
  if (keys.tests.length === 0 || sigs.tests.length === 0 || xs.tests.length === 0) mismatches.push('file: an empty test group');
  for (const t of keys.tests) {
    const pk = hexToBytes(t.publicKey);
    const want = t.error ?? (t.result === 'valid' ? 'true' : 'false');
    check(t, describeOutcome(() => p.ed25519IsAcceptablePublicKey(pk)), want);
    checkFlags(t, policyFlagsFor(pk));
  }
  for (const t of sigs.tests) {
    const pk = hexToBytes(t.publicKey);
    const sig = hexToBytes(t.sig);
    const want = t.error ?? (t.result === 'valid' ? 'true' : 'false');
    check(t, describeOutcome(() => p.ed25519Verify(pk, hexToBytes(t.msg), sig)), want);
    checkFlags(t, policyFlagsFor(pk, sig));
  }
  for (const t of xs.tests) {
    const want = t.error ?? `bytes:${t.shared}`;
    check(t, describeOutcome(() => p.x25519(hexToBytes(t.private), hexToBytes(t.public))), want);
    if (t.result === 'valid' && (t.shared === null || equalBytes(hexToBytes(t.shared), new Uint8Array(32)))) {
      mismatches.push(`tcId ${t.tcId}: a valid case needs a non-zero shared secret`);
    }
  }
  return mismatches;
}

export const suite: VectorSuite = {
  file: 'primitives-policy.json',
  generate,
  verify,
};
