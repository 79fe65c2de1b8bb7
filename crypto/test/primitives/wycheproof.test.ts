// Every Wycheproof file in ../shared/vectors/wycheproof on every backend, and on the node
// backend as it runs when the native libsodium addon does not load (Ed25519 verified by OpenSSL).
//   "valid"      must pass (extra strictness is listed and pinned by tcId below);
//   "invalid"    must be rejected (false, the stable E2eeError code, or RangeError for a wrong size);
//   "acceptable" must follow the written policy (docs/PRIMITIVES.md), identically on all backends;
//   any other result string fails the run.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesToHex, equalBytes, hexToBytes } from '../../src/bytes';
import { AUTH_FAILED, ZERO_SHARED_SECRET } from '../../src/errors';
import { createPrimitives } from '../../src/primitives/index';
import { loadNodeBackend } from '../../src/primitives/node';
import { nodeRandom } from '../../src/primitives/random';
import type { Primitives } from '../../src/primitives/types';
import { loadAll, outcome } from './backends';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const WYCHEPROOF_DIR = resolve(REPO_ROOT, '../shared/vectors/wycheproof');
if (!existsSync(WYCHEPROOF_DIR)) {
  throw new Error(`Wycheproof vectors not found at ${WYCHEPROOF_DIR}: the shared/ folder must sit beside the repository`);
}

interface WycheproofTest {
  tcId: number;
  comment: string;
  flags: string[];
  result: string;
  [field: string]: unknown;
}
interface WycheproofGroup {
  tests: WycheproofTest[];
  [field: string]: unknown;
}
interface WycheproofFile {
  algorithm: string;
  numberOfTests: number;
  testGroups: WycheproofGroup[];
}

function load(file: string): WycheproofFile {
  const path = join(WYCHEPROOF_DIR, file);
  if (!existsSync(path)) throw new Error(`missing Wycheproof file ${path}`);
  return JSON.parse(readFileSync(path, 'utf8')) as WycheproofFile;
}

const hex = (t: Record<string, unknown>, field: string): Uint8Array => {
  const v = t[field];
  if (typeof v !== 'string') throw new Error(`field ${field} is not a hex string`);
  return hexToBytes(v);
};

/** One test's verdict: what happened, as a short word, and whether it matches the expectation. */
type Check = (p: Primitives, group: WycheproofGroup, t: WycheproofTest) => { pass: boolean; strict?: boolean; got: string };

function unknownResult(t: WycheproofTest): never {
  throw new Error(`tcId ${t.tcId}: unknown test result "${t.result}"`);
}

const checkEd25519: Check = (p, group, t) => {
  const pk = hexToBytes((group['publicKey'] as { pk: string }).pk);
  const r = outcome(() => p.ed25519Verify(pk, hex(t, 'msg'), hex(t, 'sig')));
  const accepted = r.ok && r.value === true;
  const rejected = (r.ok && r.value === false) || (!r.ok && r.kind === 'RangeError');
  const got = r.ok ? String(r.value) : r.kind;
  if (t.result === 'valid') return { pass: accepted, strict: rejected, got };
  if (t.result === 'invalid') return { pass: rejected, got };
  if (t.result === 'acceptable') throw new Error(`tcId ${t.tcId}: no written policy for an acceptable Ed25519 case`);
  return unknownResult(t);
};

const checkX25519: Check = (p, _group, t) => {
  const expected = hex(t, 'shared');
  const privateKey = hex(t, 'private');
  const publicKey = hex(t, 'public');
  // Twice with the same arrays: the node backend sends a first use to libsodium and a repeat
  // to OpenSSL with prepared keys, and both paths must give the same answer.
  const r = outcome(() => p.x25519(privateKey, publicKey));
  const again = outcome(() => p.x25519(privateKey, publicKey));
  const got = r.ok ? bytesToHex(r.value) : r.kind;
  if (got !== (again.ok ? bytesToHex(again.value) : again.kind)) return { pass: false, got: `${got}, then ${again.ok ? bytesToHex(again.value) : again.kind}` };
  const matches = r.ok && equalBytes(r.value, expected);
  const zeroRejected = !r.ok && r.kind === ZERO_SHARED_SECRET;
  const expectedZero = expected.every((b) => b === 0);
  if (t.result === 'valid') return { pass: matches, strict: zeroRejected, got };
  // Policy (docs/PRIMITIVES.md): a low-order public key gives the all-zero secret and is rejected;
  // every other acceptable case (twist points, non-canonical u >= p) computes RFC 7748's result.
  if (t.result === 'acceptable') return { pass: expectedZero ? zeroRejected : matches, got };
  if (t.result === 'invalid') return { pass: !r.ok, got };
  return unknownResult(t);
};

function aeadCheck(seal: 'xchachaSeal' | 'chachaSeal', open: 'xchachaOpen' | 'chachaOpen'): Check {
  return (p, _group, t) => {
    const key = hex(t, 'key');
    const iv = hex(t, 'iv');
    const aad = hex(t, 'aad');
    const msg = hex(t, 'msg');
    const sealed = new Uint8Array([...hex(t, 'ct'), ...hex(t, 'tag')]);
    const opened = outcome(() => p[open](key, iv, sealed, aad));
    if (t.result === 'valid') {
      const s = outcome(() => p[seal](key, iv, msg, aad));
      const sealOk = s.ok && equalBytes(s.value, sealed);
      const openOk = opened.ok && equalBytes(opened.value, msg);
      return { pass: sealOk && openOk, strict: !openOk, got: `seal ${sealOk ? 'ok' : 'differs'}, open ${opened.ok ? 'ok' : opened.kind}` };
    }
    if (t.result === 'invalid') {
      const rejected = !opened.ok && (opened.kind === AUTH_FAILED || opened.kind === 'RangeError');
      return { pass: rejected, got: opened.ok ? 'opened' : opened.kind };
    }
    if (t.result === 'acceptable') throw new Error(`tcId ${t.tcId}: no written policy for an acceptable AEAD case`);
    return unknownResult(t);
  };
}

const checkHkdf: Check = (p, _group, t) => {
  const size = t['size'];
  if (typeof size !== 'number') throw new Error(`tcId ${t.tcId}: size is not a number`);
  const r = outcome(() => p.hkdfSha256Expand(p.hkdfSha256Extract(hex(t, 'salt'), hex(t, 'ikm')), hex(t, 'info'), size));
  const got = r.ok ? `${r.value.length} bytes` : r.kind;
  if (t.result === 'valid') return { pass: r.ok && equalBytes(r.value, hex(t, 'okm')), got };
  if (t.result === 'invalid') return { pass: !r.ok && r.kind === 'RangeError', got };
  if (t.result === 'acceptable') throw new Error(`tcId ${t.tcId}: no written policy for an acceptable HKDF case`);
  return unknownResult(t);
};

const checkHmac: Check = (p, group, t) => {
  const tagBytes = (group['tagSize'] as number) / 8;
  const tag = hex(t, 'tag');
  const full = p.hmacSha256(hex(t, 'key'), hex(t, 'msg'));
  // Truncated tags compare against the leading bytes, in constant time, as a verifier would.
  const matches = tag.length === tagBytes && equalBytes(full.subarray(0, tagBytes), tag);
  if (t.result === 'valid') return { pass: matches, got: matches ? 'match' : 'differs' };
  if (t.result === 'invalid') return { pass: !matches, got: matches ? 'match' : 'differs' };
  if (t.result === 'acceptable') throw new Error(`tcId ${t.tcId}: no written policy for an acceptable HMAC case`);
  return unknownResult(t);
};

const FILES: { file: string; check: Check }[] = [
  { file: 'ed25519_test.json', check: checkEd25519 },
  { file: 'x25519_test.json', check: checkX25519 },
  { file: 'xchacha20_poly1305_test.json', check: aeadCheck('xchachaSeal', 'xchachaOpen') },
  { file: 'chacha20_poly1305_test.json', check: aeadCheck('chachaSeal', 'chachaOpen') },
  { file: 'hkdf_sha256_test.json', check: checkHkdf },
  { file: 'hmac_sha256_test.json', check: checkHmac },
];

/**
 * Valid-by-Wycheproof cases our policy rejects on purpose, by file. Empty today: the
 * Ed25519 file has no valid case with a small-order or mixed-order key or R, and every
 * valid X25519 case has a non-zero shared secret. A change here must be argued in
 * docs/PRIMITIVES.md.
 */
const DELIBERATELY_STRICTER: Record<string, number[]> = {
  'ed25519_test.json': [],
  'x25519_test.json': [],
  'xchacha20_poly1305_test.json': [],
  'chacha20_poly1305_test.json': [],
  'hkdf_sha256_test.json': [],
  'hmac_sha256_test.json': [],
};

/** Each target under its own label: the OpenSSL fallback reports itself as 'node' too. */
const backends: { label: string; p: Primitives }[] = [
  ...(await loadAll()).map(({ p }) => ({ label: p.backend, p })),
  { label: 'node/openssl-verify', p: createPrimitives(await loadNodeBackend({ nativeVerify: false }), nodeRandom) },
];
const summary: string[] = [];
/** Per file, per backend: the outcome string of every tcId, compared across backends. */
const outcomes = new Map<string, Map<string, string[]>>();

afterAll(() => {
  console.log(`Wycheproof (${WYCHEPROOF_DIR}):\n${summary.join('\n')}`);
});

describe('Wycheproof vectors on every backend', () => {
  for (const { file, check } of FILES) {
    for (const { label, p } of backends) {
      it(`${file} on ${label}`, () => {
        const data = load(file);
        const counts = { valid: 0, invalid: 0, acceptable: 0 };
        const failures: string[] = [];
        const stricter: number[] = [];
        const seen: string[] = [];
        for (const group of data.testGroups) {
          for (const t of group.tests) {
            const verdict = check(p, group, t);
            seen.push(`${t.tcId}:${verdict.got}`);
            if (t.result === 'valid' || t.result === 'invalid' || t.result === 'acceptable') counts[t.result]++;
            if (verdict.pass) continue;
            if (t.result === 'valid' && verdict.strict) stricter.push(t.tcId);
            else failures.push(`tcId ${t.tcId} (${t.result}, ${t.comment || t.flags.join(',')}): got ${verdict.got}`);
          }
        }
        const total = counts.valid + counts.invalid + counts.acceptable;
        summary.push(
          `  ${file.padEnd(30)} ${label.padEnd(19)} ${total} tests: ${counts.valid} valid, ${counts.invalid} invalid, ` +
            `${counts.acceptable} acceptable; ${failures.length} failures; ${stricter.length} deliberately stricter`,
        );
        const perBackend = outcomes.get(file) ?? new Map<string, string[]>();
        perBackend.set(label, seen);
        outcomes.set(file, perBackend);
        expect(total).toBe(data.numberOfTests);
        expect(total).toBeGreaterThan(0);
        expect(failures).toEqual([]);
        expect(stricter).toEqual(DELIBERATELY_STRICTER[file]);
      });
    }
    it(`${file}: every backend gives the same outcome on every tcId`, () => {
      const perBackend = outcomes.get(file);
      expect(perBackend?.size).toBe(backends.length);
      const [first, ...rest] = [...perBackend!.values()];
      for (const other of rest) expect(other).toEqual(first);
    });
  }
});
