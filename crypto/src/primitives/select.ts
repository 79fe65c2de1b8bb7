// Backend selection: explicit by name, or by what the running platform can do.
//
//   node    Node.js (node:crypto present): the fast default.
//   noble   no global WebAssembly and no node:crypto, e.g. WeChat's logic layer.
//   sodium  everywhere else (browsers, other WebAssembly-capable runtimes).
//
// noble is always available. sodium and node load asynchronously (libsodium must
// initialise its WebAssembly module) through dynamic imports, so a bundle that only
// imports noble.ts and index.ts (the mini program's) never pulls in node:crypto or
// libsodium. Call `await loadBackends()` once before asking `primitivesFor` for them.
import { BACKEND_UNAVAILABLE, E2eeError } from '../errors';
import { createPrimitives } from './index';
import { nobleBackend } from './noble';
import type { BackendName, Primitives, RandomSource, RawBackend } from './types';

const ORDER: readonly BackendName[] = ['noble', 'sodium', 'node'];
const loaded = new Map<BackendName, RawBackend>([['noble', nobleBackend]]);

/** What the current platform offers, read from globals only (no imports, no I/O). */
export interface Capabilities {
  readonly webAssembly: boolean;
  readonly node: boolean;
}

export function detectCapabilities(global: Record<string, unknown> = globalThis as unknown as Record<string, unknown>): Capabilities {
  const proc = global['process'] as { versions?: { node?: unknown } } | undefined;
  return {
    webAssembly: typeof global['WebAssembly'] === 'object' && global['WebAssembly'] !== null,
    node: typeof proc?.versions?.node === 'string',
  };
}

/**
 * The default backend for a platform: node on Node, noble without WebAssembly, sodium
 * elsewhere. (The node backend needs libsodium for XChaCha20, so Node without WebAssembly,
 * e.g. `node --jitless`, gets noble.)
 */
export function defaultBackendName(caps: Capabilities = detectCapabilities()): BackendName {
  if (!caps.webAssembly) return 'noble';
  return caps.node ? 'node' : 'sodium';
}

/** Backends this platform can run, in a stable order. */
export function availableBackendNames(caps: Capabilities = detectCapabilities()): BackendName[] {
  return ORDER.filter((name) => name === 'noble' || (name === 'sodium' && caps.webAssembly) || (name === 'node' && caps.node && caps.webAssembly));
}

/** Loads every backend the platform can run (once) and returns all loaded raw backends. */
export async function loadBackends(caps: Capabilities = detectCapabilities()): Promise<RawBackend[]> {
  const names = availableBackendNames(caps);
  if (names.includes('sodium') && !loaded.has('sodium')) {
    const { loadSodiumBackend } = await import('./sodium');
    loaded.set('sodium', await loadSodiumBackend());
  }
  if (names.includes('node') && !loaded.has('node')) {
    const { loadNodeBackend } = await import('./node');
    loaded.set('node', await loadNodeBackend());
  }
  return rawBackends();
}

/** Raw backends loaded so far (noble always), in a stable order. */
export function rawBackends(): RawBackend[] {
  return ORDER.flatMap((name) => {
    const b = loaded.get(name);
    return b ? [b] : [];
  });
}

/** Checked, policy-enforcing primitives on the named backend; it must be loaded already. */
export function primitivesFor(name: BackendName, random: RandomSource): Primitives {
  if (!ORDER.includes(name)) throw new TypeError(`"name" expected one of ${ORDER.join(', ')}, got ${String(name)}`);
  const backend = loaded.get(name);
  if (!backend) {
    throw new E2eeError(BACKEND_UNAVAILABLE, `backend ${name} is not loaded on this platform (await loadBackends() first)`, 'primitivesFor');
  }
  return createPrimitives(backend, random);
}

/** Loads the platform's default backend and returns primitives on it. */
export async function loadDefaultPrimitives(random: RandomSource): Promise<Primitives> {
  await loadBackends();
  return primitivesFor(defaultBackendName(), random);
}
