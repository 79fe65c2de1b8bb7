// npm run bench -- tsmls [--quick]
// ts-mls (an MLS RFC 9420 implementation on noble) as a peer, same machine, same run:
//   kick-commit  (ts-mls): a remove commit in a 500-member group, ms
//   kick-process (ts-mls): one remaining member processes it, ms
//   group-encrypt / group-decrypt (ts-mls): 1 KiB application messages, ops/s
// Ciphersuite MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519 (the closest to ours).
//
// ts-mls is not a dependency of the project: it lives in its own package with exact
// versions. Install it with
//   npm install --prefix bench/peers/ts-mls
// Without it this suite prints one skip line and exits cleanly.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { emitFigure, emitRatio, median } from '../schema';
import { measureOursOnNode } from './kick';

const MEMBERS = 500;
const BYTES = 1024;
const SUITE = 'MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519';
const PEER_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'peers', 'ts-mls');
const ENTRY = join(PEER_DIR, 'node_modules', 'ts-mls', 'dist', 'src', 'index.js');

/* eslint-disable @typescript-eslint/no-explicit-any */
type TsMls = any;

async function loadTsMls(): Promise<TsMls | null> {
  if (!existsSync(ENTRY)) return null;
  return import(pathToFileURL(ENTRY).href);
}

function utf8(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

async function member(m: TsMls, impl: unknown, name: string) {
  const credential = { credentialType: 'basic', identity: utf8(name) };
  return m.generateKeyPackage(credential, m.defaultCapabilities(), m.defaultLifetime, [], impl);
}

async function time(fn: () => Promise<void>, rounds: number): Promise<number> {
  await fn();
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return median(samples);
}

export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const m = await loadTsMls();
  if (!m) {
    process.stdout.write(`# tsmls: skipped: ts-mls is not installed (run: npm install --prefix bench/peers/ts-mls)\n`);
    return;
  }
  const impl = await m.getCiphersuiteImpl(m.getCiphersuiteFromName(SUITE));

  // A 500-member group: the creator adds 499 members in one commit; one of them joins.
  const creator = await member(m, impl, 'creator');
  let creatorState = await m.createGroup(utf8('bench-group'), creator.publicPackage, creator.privatePackage, [], impl);
  const others = [];
  for (let i = 1; i < MEMBERS; i++) others.push(await member(m, impl, `m${i}`));
  const added = await m.createCommit(
    { state: creatorState, cipherSuite: impl },
    { extraProposals: others.map((o) => ({ proposalType: 'add', add: { keyPackage: o.publicPackage } })) },
  );
  creatorState = added.newState;
  const observer = others[6]!;
  const observerState = await m.joinGroup(added.welcome, observer.publicPackage, observer.privatePackage, m.emptyPskIndex, impl, creatorState.ratchetTree);

  const rounds = quick ? 1 : 5;
  const victimLeaf = 3;
  let commit: TsMls;
  const commitMs = await time(async () => {
    commit = await m.createCommit({ state: creatorState, cipherSuite: impl }, { extraProposals: [{ proposalType: 'remove', remove: { removed: victimLeaf } }] });
  }, rounds);
  const processMs = await time(async () => {
    const r = await m.processPrivateMessage(observerState, commit.commit.privateMessage, m.emptyPskIndex, impl);
    if (r.kind !== 'newState') throw new Error('ts-mls: the remove commit did not produce a new state');
  }, rounds);
  emitFigure({ name: 'kick-commit', impl: 'ts-mls', unit: 'ms', value: commitMs, params: { members: MEMBERS } });
  emitFigure({ name: 'kick-process', impl: 'ts-mls', unit: 'ms', value: processMs, params: { members: MEMBERS, scope: 'per-member' } });
  // Ratio lines against ours in the same run (ours measured again here, on the node backend).
  const oursNode = await measureOursOnNode(quick ? 3 : 15);
  if (oursNode) {
    emitRatio('kick-commit/ts-mls', 'kick-commit/ours-node', commitMs / oursNode.commit, { members: MEMBERS });
    emitRatio('kick-process/ts-mls', 'kick-process/ours-node', processMs / oursNode.process, { members: MEMBERS, scope: 'per-member' });
  }

  // Application messages in a two-member group (the cost does not depend on the group size).
  const a = await member(m, impl, 'alice');
  const b = await member(m, impl, 'bob');
  let aState = await m.createGroup(utf8('bench-pair'), a.publicPackage, a.privatePackage, [], impl);
  const addB = await m.createCommit({ state: aState, cipherSuite: impl }, { extraProposals: [{ proposalType: 'add', add: { keyPackage: b.publicPackage } }] });
  aState = addB.newState;
  let bState = await m.joinGroup(addB.welcome, b.publicPackage, b.privatePackage, m.emptyPskIndex, impl, aState.ratchetTree);
  const plaintext = new Uint8Array(BYTES).fill(7);
  const perRound = quick ? 100 : 1000;
  const encRates: number[] = [];
  const decRates: number[] = [];
  for (let round = 0; round < (quick ? 3 : 7); round++) {
    const msgs: TsMls[] = [];
    let t = performance.now();
    for (let i = 0; i < perRound; i++) {
      const r = await m.createApplicationMessage(aState, plaintext, impl);
      aState = r.newState;
      msgs.push(r.privateMessage);
    }
    encRates.push((perRound * 1000) / (performance.now() - t));
    t = performance.now();
    for (const pm of msgs) {
      const r = await m.processPrivateMessage(bState, pm, m.emptyPskIndex, impl);
      bState = r.newState;
    }
    decRates.push((perRound * 1000) / (performance.now() - t));
  }
  emitFigure({ name: 'group-encrypt', impl: 'ts-mls', unit: 'ops/s', value: median(encRates), params: { bytes: BYTES } });
  emitFigure({ name: 'group-decrypt', impl: 'ts-mls', unit: 'ops/s', value: median(decRates), params: { bytes: BYTES } });
}
