// npm run bench -- primitives [--quick]
// Sign / verify / seal / open / DH per backend, through the checked, policy-enforcing
// Primitives (what the protocol calls), one JSON line per figure (docs/BENCH.md).
import { createPrimitives } from '../../crypto/src/primitives/index';
import { loadNodeBackend } from '../../crypto/src/primitives/node';
import { nodeRandom } from '../../crypto/src/primitives/random';
import { clearPolicyCache } from '../../crypto/src/primitives/policy';
import { loadBackends, primitivesFor } from '../../crypto/src/primitives/select';
import type { Primitives } from '../../crypto/src/primitives/types';
import { emitFigure, emitRatio, measureOpsPerSecond } from '../schema';

/** Message size for sign/verify: about a signed message header plus its ciphertext hash. */
const SIGNED_BYTES = 256;
/** Payload size for seal/open (the figure). */
const SEALED_BYTES = 1024;

interface Timing {
  rounds: number;
  ms: number;
  batch: number;
}

function figures(p: Primitives, timing: Timing): Record<string, number> {
  const impl = `ours-${p.backend}`;
  const random = p.randomBytes.bind(p);
  const seed = random(32);
  const message = random(SIGNED_BYTES);
  const publicKey = p.ed25519PublicKey(seed);
  const signature = p.ed25519Sign(seed, message);
  const key = random(32);
  const nonce = random(24);
  const plaintext = random(SEALED_BYTES);
  const aad = random(32);
  const sealed = p.xchachaSeal(key, nonce, plaintext, aad);
  const mine = random(32);
  const peer = p.x25519PublicKey(random(32));
  if (!p.ed25519Verify(publicKey, message, signature)) throw new Error(`${impl}: self-check failed`);

  const out: Record<string, number> = {};
  const run = (name: string, op: () => void, params: Record<string, unknown>) => {
    const value = measureOpsPerSecond(op, timing);
    emitFigure({ name, impl, unit: 'ops/s', value, params });
    if (!('policyCache' in params)) out[name] = value;
  };
  run('ed25519-sign', () => p.ed25519Sign(seed, message), { bytes: SIGNED_BYTES });
  run('ed25519-verify', () => p.ed25519Verify(publicKey, message, signature), { bytes: SIGNED_BYTES });
  // The first verification under a key also pays the policy's subgroup check (then cached per key).
  run(
    'ed25519-verify',
    () => {
      clearPolicyCache();
      p.ed25519Verify(publicKey, message, signature);
    },
    { bytes: SIGNED_BYTES, policyCache: 'cold' },
  );
  run('xchacha-seal', () => p.xchachaSeal(key, nonce, plaintext, aad), { bytes: SEALED_BYTES });
  run('xchacha-open', () => p.xchachaOpen(key, nonce, sealed, aad), { bytes: SEALED_BYTES });
  run('x25519-dh', () => p.x25519(mine, peer), {});
  return out;
}

export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const timing: Timing = quick ? { rounds: 3, ms: 100, batch: 4 } : { rounds: 7, ms: 500, batch: 16 };
  const raw = await loadBackends();
  const results: Record<string, Record<string, number>> = {};
  // Fixed order: node, sodium, noble (the fast ones first; noble is pure JS and slowest).
  for (const name of ['node', 'sodium', 'noble'] as const) {
    if (!raw.some((b) => b.name === name)) continue;
    results[name] = figures(primitivesFor(name, nodeRandom), timing);
  }
  const node = results['node'];
  const sodium = results['sodium'];
  if (node && sodium) {
    for (const op of ['ed25519-sign', 'ed25519-verify']) {
      emitRatio(`${op}/ours-node`, `${op}/ours-sodium`, node[op]! / sodium[op]!);
    }
    // The node backend verifies with native libsodium; its OpenSSL path (the fallback) side by side.
    const openssl = createPrimitives(await loadNodeBackend({ nativeVerify: false }), nodeRandom);
    const seed = openssl.randomBytes(32);
    const message = openssl.randomBytes(SIGNED_BYTES);
    const [publicKey, signature] = [openssl.ed25519PublicKey(seed), openssl.ed25519Sign(seed, message)];
    if (!openssl.ed25519Verify(publicKey, message, signature)) throw new Error('ours-node-openssl: self-check failed');
    const value = measureOpsPerSecond(() => openssl.ed25519Verify(publicKey, message, signature), timing);
    emitFigure({ name: 'ed25519-verify', impl: 'ours-node-openssl', unit: 'ops/s', value, params: { bytes: SIGNED_BYTES } });
    emitRatio('ed25519-verify/ours-node', 'ed25519-verify/ours-node-openssl', node['ed25519-verify']! / value);
  }
}
