// The curve arithmetic as the mini program runs it: the SDK bundle (esbuild, terser, noble's
// fields as assignments, IIFEs as arrows; scripts/build-miniprogram.ts) loaded in the
// logic-layer sandbox gives the same answers as the source on Node, on every Ed25519 and
// X25519 Wycheproof vector and on random keys. The size passes touch exactly this code
// (@noble/curves' field, point and scalar multiplication classes), so this is where a pass
// that changed behaviour would show.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../../crypto/src/bytes';
import { Point } from '../../crypto/src/primitives/curve25519';
import { createPrimitives } from '../../crypto/src/primitives/index';
import { nobleBackend } from '../../crypto/src/primitives/noble';
import type { Primitives } from '../../crypto/src/primitives/types';
import { sdkBundle } from './bundle';
import { createLogicLayerSandbox, type LogicLayerSandbox } from './sandbox';

const WYCHEPROOF_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/vectors/wycheproof');

interface Vectors {
  testGroups: { publicKey?: { pk: string }; tests: Record<string, unknown>[] }[];
}
function load(file: string): Vectors {
  const path = join(WYCHEPROOF_DIR, file);
  if (!existsSync(path)) throw new Error(`missing Wycheproof file ${path}: the shared/ folder must sit beside the repository`);
  return JSON.parse(readFileSync(path, 'utf8')) as Vectors;
}

/** The cases, as hex strings, and what the primitives make of them (a closure over `p` and `hex`, run on both sides). */
const EVALUATE = `function (p, hex, unhex, cases) {
  function outcome(f) {
    try { var v = f(); return typeof v === 'boolean' ? String(v) : hex(v); }
    catch (e) { return 'throws ' + (e.code || e.name); }
  }
  return {
    verify: cases.verify.map(function (c) { return outcome(function () { return p.ed25519Verify(unhex(c[0]), unhex(c[1]), unhex(c[2])); }); }),
    acceptable: cases.keys.map(function (k) { return outcome(function () { return p.ed25519IsAcceptablePublicKey(unhex(k)); }); }),
    x25519: cases.x25519.map(function (c) { return outcome(function () { return p.x25519(unhex(c[0]), unhex(c[1])); }); }),
    x25519Public: cases.seeds.map(function (s) { return outcome(function () { return p.x25519PublicKey(unhex(s)); }); }),
    ed25519Public: cases.seeds.map(function (s) { return outcome(function () { return p.ed25519PublicKey(unhex(s)); }); }),
    signature: cases.seeds.map(function (s) { return outcome(function () { return p.ed25519Sign(unhex(s), unhex(s + '00')); }); }),
  };
}`;

interface Cases {
  verify: [string, string, string][];
  keys: string[];
  x25519: [string, string][];
  seeds: string[];
}

let sandbox: LogicLayerSandbox;
let cases: Cases;
beforeAll(async () => {
  const ed = load('ed25519_test.json');
  const x = load('x25519_test.json');
  const verify = ed.testGroups.flatMap((g) => g.tests.map((t) => [g.publicKey!.pk, t['msg'] as string, t['sig'] as string] as [string, string, string]));
  const x25519 = x.testGroups.flatMap((g) => g.tests.map((t) => [t['private'] as string, t['public'] as string] as [string, string]));
  // Seeds from a fixed SHA-512 chain: reproducible, and unlike the vectors' keys.
  const noble = createPrimitives(nobleBackend, () => {
    throw new Error('no randomness needed');
  });
  const seeds: string[] = [];
  let block = noble.sha512(new Uint8Array([7]));
  for (let i = 0; i < 24; i++) {
    seeds.push(bytesToHex(block.subarray(0, 32)), bytesToHex(block.subarray(32)));
    block = noble.sha512(block);
  }
  // Public keys for the policy: the vectors' (valid), the seeds read as encodings (about half
  // are not curve points), each valid one plus a point of order 8 (mixed order), and the
  // small-order and non-canonical encodings.
  const order8 = Point.fromBytes(hexToBytes('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'));
  const keys = [...new Set(verify.map((v) => v[0]))];
  for (const s of seeds) {
    keys.push(s);
    try {
      keys.push(bytesToHex(Point.fromBytes(hexToBytes(s)).add(order8).toBytes()));
    } catch {
      // not a point
    }
  }
  keys.push(bytesToHex(order8.toBytes()), 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', 'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f');
  cases = { verify, keys, x25519, seeds };
  sandbox = createLogicLayerSandbox();
  sandbox.context.sdk = sandbox.loadModule((await sdkBundle()).code);
});
afterAll(() => sandbox?.close());

describe('the SDK bundle computes curve operations as the source does', () => {
  it('Ed25519 verification and key policy, X25519, public keys and signatures: identical results', () => {
    expect(cases.verify.length).toBeGreaterThan(100);
    expect(cases.x25519.length).toBeGreaterThan(400);
    sandbox.context.cases = cases;
    const inside = sandbox.run<Record<string, string[]>>(`(${EVALUATE})(
      sdk.createPrimitives(sdk.nobleBackend, function () { throw new Error('no randomness needed'); }),
      sdk.bytesToHex, sdk.hexToBytes, cases)`);
    const p: Primitives = createPrimitives(nobleBackend, () => {
      throw new Error('no randomness needed');
    });
    const outside = (new Function(`return ${EVALUATE}`)() as (p: Primitives, h: typeof bytesToHex, u: typeof hexToBytes, c: Cases) => Record<string, string[]>)(p, bytesToHex, hexToBytes, cases);
    // Both outcomes occur, so a constant answer on either side would not match.
    expect(outside['verify']).toContain('true');
    expect(outside['verify']).toContain('false');
    expect(outside['acceptable']).toContain('true');
    expect(outside['acceptable']).toContain('false');
    expect(outside['x25519']!.some((o) => o.startsWith('throws'))).toBe(true);
    // Compared as plain arrays (the sandbox's arrays come from its own realm).
    for (const key of Object.keys(outside)) expect([...inside[key]!], key).toEqual(outside[key]);
  });
});
