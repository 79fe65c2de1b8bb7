// Labelled KDF, labelled hash and domain-separated signature vectors for the membership
// log, identity, prekey, envelope and epoch labels (crypto/src/labels.ts), plus member IDs.
// test-vectors/README.md "kdf-labels.json".
import { bytesToHex, hexToBytes, utf8Encode } from '../../crypto/src/bytes';
import { memberIdOf } from '../../crypto/src/identity/member-id';
import { labelledHash } from '../../crypto/src/identity/labelled-hash';
import { expandWithLabel, PROTOCOL_LABEL_PREFIX, signatureInput, signWithLabel, verifyWithLabel } from '../../crypto/src/kdf';
import { HASH, KDF, SIG } from '../../crypto/src/labels';
import { createPrimitives } from '../../crypto/src/primitives/index';
import { nobleBackend } from '../../crypto/src/primitives/noble';
import { WireWriter } from '../../crypto/src/wire/codec';
import { seededRandom } from '../seeded-random';
import type { VectorSuite } from '../suite';

const KDF_LABELS: [keyof typeof KDF, number][] = [
  ['EPOCH_JOINER', 32],
  ['EPOCH_NEXT', 32],
  ['EPOCH_SENDER_ROOT', 32],
  ['EPOCH_GROUP_INFO_KEY', 32],
  ['EPOCH_CONFIRMATION_KEY', 32],
  ['ENVELOPE_KEY', 32],
];
const HASH_LABELS: (keyof typeof HASH)[] = ['MEMBER_ID', 'LOG_ENTRY', 'LOG_HEAD', 'ENVELOPE', 'SAFETY_NUMBER'];
const SIG_LABELS: (keyof typeof SIG)[] = ['RELAY_AUTH', 'LOG_ENTRY', 'PREKEY_BUNDLE', 'ONE_TIME_PREKEY'];

interface KdfVector { tcId: number; label: string; labelBytes: string; secret: string; context: string; length: number; info: string; output: string; result: 'valid' }
interface HashVector { tcId: number; label: string; input: string; hashInput: string; output: string; result: 'valid' }
interface SigVector { tcId: number; label: string; seed: string; publicKey: string; data: string; signatureInput: string; signature: string; rejectedUnder: string[]; result: 'valid' }
interface MemberIdVector { tcId: number; identityKey: string; memberId: string; result: 'valid' }

export const suite: VectorSuite = {
  file: 'kdf-labels.json',
  generate() {
    const rnd = seededRandom('wxe2ee kdf-labels vectors');
    const p = createPrimitives(nobleBackend, rnd);
    let tcId = 1;
    const kdf: KdfVector[] = KDF_LABELS.map(([name, length], i) => {
      const secret = rnd(32);
      const context = rnd(i * 7);
      const label = KDF[name];
      const info = new WireWriter().u16(length).bytes8(utf8Encode(PROTOCOL_LABEL_PREFIX + label)).bytes32(context, 0xffffffff).finish();
      return { tcId: tcId++, label, labelBytes: bytesToHex(utf8Encode(PROTOCOL_LABEL_PREFIX + label)), secret: bytesToHex(secret), context: bytesToHex(context), length, info: bytesToHex(info), output: bytesToHex(expandWithLabel(p, secret, label, context, length)), result: 'valid' };
    });
    const hash: HashVector[] = HASH_LABELS.map((name, i) => {
      const input = rnd(16 + i * 11);
      return { tcId: tcId++, label: HASH[name], input: bytesToHex(input), hashInput: bytesToHex(signatureInput(HASH[name], input)), output: bytesToHex(labelledHash(p, HASH[name], input)), result: 'valid' };
    });
    const sig: SigVector[] = SIG_LABELS.map((name, i) => {
      const seed = rnd(32);
      const data = rnd(20 + i);
      const label = SIG[name];
      return {
        tcId: tcId++,
        label,
        seed: bytesToHex(seed),
        publicKey: bytesToHex(p.ed25519PublicKey(seed)),
        data: bytesToHex(data),
        signatureInput: bytesToHex(signatureInput(label, data)),
        signature: bytesToHex(signWithLabel(p, seed, label, data)),
        rejectedUnder: SIG_LABELS.filter((n) => n !== name).map((n) => SIG[n]),
        result: 'valid',
      };
    });
    const memberIds: MemberIdVector[] = [0, 1, 2].map(() => {
      const key = p.ed25519PublicKey(rnd(32));
      return { tcId: tcId++, identityKey: bytesToHex(key), memberId: bytesToHex(memberIdOf(p, key)), result: 'valid' };
    });
    return {
      algorithm: 'wxe2ee v1 labelled KDF (HKDF-SHA256 expand), labelled SHA-256, Ed25519 with labels',
      labelPrefix: PROTOCOL_LABEL_PREFIX,
      notes: 'See test-vectors/README.md "kdf-labels.json".',
      kdfTests: kdf,
      hashTests: hash,
      signatureTests: sig,
      memberIdTests: memberIds,
    };
  },
  verify(data, p) {
    const d = data as { kdfTests: KdfVector[]; hashTests: HashVector[]; signatureTests: SigVector[]; memberIdTests: MemberIdVector[] };
    const errors: string[] = [];
    const eq = (tcId: number, field: string, expected: string, actual: Uint8Array) => {
      if (expected !== bytesToHex(actual)) errors.push(`tcId ${tcId}: ${field}: expected ${expected.slice(0, 16)}.., got ${bytesToHex(actual).slice(0, 16)}..`);
    };
    for (const t of d.kdfTests) {
      eq(t.tcId, 'labelBytes', t.labelBytes, utf8Encode(PROTOCOL_LABEL_PREFIX + t.label));
      eq(t.tcId, 'output', t.output, expandWithLabel(p, hexToBytes(t.secret), t.label, hexToBytes(t.context), t.length));
      // The info string, recomputed independently of expandWithLabel, gives the same output through raw HKDF.
      eq(t.tcId, 'output via info', t.output, p.hkdfSha256Expand(hexToBytes(t.secret), hexToBytes(t.info), t.length));
    }
    for (const t of d.hashTests) {
      eq(t.tcId, 'hashInput', t.hashInput, signatureInput(t.label, hexToBytes(t.input)));
      eq(t.tcId, 'output', t.output, labelledHash(p, t.label, hexToBytes(t.input)));
      eq(t.tcId, 'output via SHA-256', t.output, p.sha256(hexToBytes(t.hashInput)));
    }
    for (const t of d.signatureTests) {
      const pk = hexToBytes(t.publicKey);
      const dataBytes = hexToBytes(t.data);
      const sig = hexToBytes(t.signature);
      eq(t.tcId, 'publicKey', t.publicKey, p.ed25519PublicKey(hexToBytes(t.seed)));
      eq(t.tcId, 'signatureInput', t.signatureInput, signatureInput(t.label, dataBytes));
      eq(t.tcId, 'signature', t.signature, signWithLabel(p, hexToBytes(t.seed), t.label, dataBytes));
      if (!verifyWithLabel(p, pk, t.label, dataBytes, sig)) errors.push(`tcId ${t.tcId}: does not verify under its label`);
      for (const other of t.rejectedUnder) if (verifyWithLabel(p, pk, other, dataBytes, sig)) errors.push(`tcId ${t.tcId}: verifies under ${other}`);
    }
    for (const t of d.memberIdTests) eq(t.tcId, 'memberId', t.memberId, memberIdOf(p, hexToBytes(t.identityKey)));
    return errors;
  },
};
