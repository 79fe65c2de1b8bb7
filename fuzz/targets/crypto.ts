// Targets for crypto/: every wire decoder, the state deserialisers, and message decryption.
import { utf8Encode } from '../../crypto/src/bytes';
import { E2eeError } from '../../crypto/src/errors';
import { createPrekeyStore, decodePrekeyStore, encodePrekeyStore, prekeyBundleOf } from '../../crypto/src/identity/prekeys';
import { decodeGroupMemberState, encodeGroupMemberState } from '../../crypto/src/log/member-state';
import { foldPublicEntry, foldPublicGenesis, type PublicGroupState } from '../../crypto/src/log/public-fold';
import { decryptGroupMessage } from '../../crypto/src/message/decrypt';
import { decodeReceiverState, decodeSenderState, encodeReceiverState, encodeSenderState, type ReceiverState } from '../../crypto/src/message/state';
import { decodeAttachmentPointer, encodeAttachmentPointer } from '../../crypto/src/wire/attachment';
import { decodeEnvelope, encodeEnvelope } from '../../crypto/src/wire/envelope';
import { decodeGroupInfo, encodeGroupInfo } from '../../crypto/src/wire/group-info';
import * as bodies from '../../crypto/src/wire/http-bodies';
import { decodePrekeyBundle, encodePrekeyBundle, verifyPrekeyBundle } from '../../crypto/src/wire/identity';
import { decodeLogEntry, encodeLogEntry } from '../../crypto/src/wire/log-entry';
import { decodeGroupMessage } from '../../crypto/src/wire/message';
import { decodePublicGroupState, encodePublicGroupState } from '../../crypto/src/wire/public-state';
import { decodeRelayAuthChallenge, encodeRelayAuthChallenge } from '../../crypto/src/wire/relay-auth';
import { decodeClientFrame, decodeRelayFrame, encodeClientFrame, encodeRelayFrame, FRAME, type ClientFrame, type RelayFrame } from '../../crypto/src/wire/relay-frames';
import { decodeWelcomePayload, encodeWelcomePayload } from '../../crypto/src/wire/welcome';
import { nextInput } from '../mutate';
import { Prng } from '../prng';
import { fuzzPrimitives, hex, vectorFile } from '../seeds';
import { decodeStage, expectCanonical, failedField, FuzzFailure, type Stage, type Target } from '../target';

/** Leading checks of the binary formats: a version, a frame type, a magic, or the total length cap. */
const FIRST = ['version', 'type', 'magic', 'length'];
const FIRST_CHECK = 'the leading version / type / magic byte, the total length cap, or the field that rejects an empty input';

/**
 * The first check of a decoder: an unsupported version, one of FIRST, or the field that
 * rejects the empty input (for formats without a version byte, e.g. HTTP bodies).
 */
function firstCheckOf(decode: (bytes: Uint8Array) => unknown): (e: E2eeError) => boolean {
  let emptyField = '';
  try {
    decode(new Uint8Array(0));
  } catch (e) {
    if (e instanceof E2eeError) emptyField = failedField(e);
  }
  return (e) => e.code === 'E2E_ERR_UNSUPPORTED_VERSION' || FIRST.includes(failedField(e)) || (emptyField !== '' && failedField(e) === emptyField);
}

function logEntrySeeds(): Uint8Array[] {
  const lf = vectorFile('log-fold.json');
  const out: Uint8Array[] = [];
  for (const c of lf.chains) {
    out.push(hex(c.genesis));
    for (const e of c.entries) out.push(hex(e.entry));
  }
  for (const r of lf.rejections) out.push(hex(r.entry));
  for (const t of vectorFile('commit.json').tests) out.push(hex(t.entry));
  return out;
}

function publicStateSeeds(): Uint8Array[] {
  const lf = vectorFile('log-fold.json');
  const out: Uint8Array[] = [];
  for (const c of lf.chains) {
    out.push(hex(c.stateAfterGenesis));
    for (const e of c.entries) out.push(hex(e.stateAfter));
  }
  for (const r of lf.rejections) out.push(hex(r.state));
  for (const t of vectorFile('storage-stability-log.json').tests) if (t.type === 'PublicGroupState') out.push(hex(t.bytes));
  return out;
}

function storageSeeds(type: string): Uint8Array[] {
  return vectorFile('storage-stability-log.json').tests.filter((t: { type: string }) => t.type === type).map((t: { bytes: string }) => hex(t.bytes));
}

function groupInfoSeeds(): Uint8Array[] {
  return [
    encodeGroupInfo({ type: 'normal', name: '家长群', announcement: '周五下午三点开会，请准时参加。', avatar: new Uint8Array(0) }),
    encodeGroupInfo({ type: 'private', name: 'HR 2026', announcement: '', avatar: Uint8Array.from({ length: 40 }, (_, i) => i) }),
    encodeGroupInfo({ type: 'normal', name: '', announcement: 'x'.repeat(300), avatar: new Uint8Array(8) }),
  ];
}

function messageStateVectors() {
  return vectorFile('storage-stability-message.json');
}

function messageSeeds(): Uint8Array[] {
  const out: Uint8Array[] = vectorFile('message.json').tests.map((t: { message: string }) => hex(t.message));
  for (const r of messageStateVectors().receiver) for (const c of r.continuation) out.push(hex(c.message));
  for (const s of messageStateVectors().sender) out.push(hex(s.continuation.message));
  return out;
}

function clientFrameSeeds(): Uint8Array[] {
  const rng = new Prng('client frames');
  const msg = messageSeeds()[0]!;
  const frames: ClientFrame[] = [
    { type: FRAME.AUTH, token: rng.bytes(32) },
    { type: FRAME.SEND, clientMessageId: rng.bytes(16), groupId: rng.bytes(16), ciphertext: msg },
    { type: FRAME.SEND, clientMessageId: rng.bytes(16), groupId: rng.bytes(32), ciphertext: rng.bytes(40) },
    { type: FRAME.ACK, groupId: rng.bytes(16), seq: 1234 },
    { type: FRAME.RESUME, cursors: [] },
    { type: FRAME.RESUME, cursors: [{ groupId: rng.bytes(16), messageAfter: 7, logFrom: 2 }, { groupId: rng.bytes(20), messageAfter: 0, logFrom: 0 }] },
    { type: FRAME.PING, nonce: 99 },
  ];
  return frames.map(encodeClientFrame);
}

function relayFrameSeeds(): Uint8Array[] {
  const rng = new Prng('relay frames');
  const frames: RelayFrame[] = [
    { type: FRAME.READY, memberId: rng.bytes(32), heartbeatMs: 30000 },
    { type: FRAME.SEND_OK, clientMessageId: rng.bytes(16), groupId: rng.bytes(16), seq: 5, duplicate: false },
    { type: FRAME.MESSAGE, groupId: rng.bytes(16), seq: 6, sender: rng.bytes(32), epoch: 3, sentAt: 1_800_000_000_000, ciphertext: rng.bytes(120) },
    { type: FRAME.LOG_ENTRY, groupId: rng.bytes(16), index: 2, entry: logEntrySeeds()[0]!, envelope: rng.bytes(150) },
    { type: FRAME.ERROR, code: 5, clientMessageId: rng.bytes(16), detail: 'stale epoch: fetch the log' },
    { type: FRAME.PONG, nonce: 1 },
    { type: FRAME.CAUGHT_UP, groupId: rng.bytes(16), messageSeq: 10, logLength: 3 },
    { type: FRAME.REMOVED, groupId: rng.bytes(16) },
    { type: FRAME.JOIN_REQUEST, groupId: rng.bytes(16), requestId: 77 },
  ];
  return frames.map(encodeRelayFrame);
}

/** A decoder target: seeds, the decoder, and (when there is an encoder) a canonical round trip. */
function decoderTarget<T>(
  name: string,
  entry: string,
  seeds: () => Uint8Array[] | Promise<Uint8Array[]>,
  decode: (bytes: Uint8Array) => T,
  encode?: (value: T) => Uint8Array,
): Target {
  const isFirst = firstCheckOf(decode);
  return {
    name,
    entry,
    firstCheck: FIRST_CHECK,
    seeds,
    run: (input) => decodeStage(() => decode(input), FIRST, encode ? (v) => expectCanonical(input, encode(v), name) : undefined, isFirst),
  };
}

/** Decoders that need primitives get them once, before the first input. */
function withPrimitives<T>(
  name: string,
  entry: string,
  seeds: () => Uint8Array[] | Promise<Uint8Array[]>,
  decode: (p: Awaited<ReturnType<typeof fuzzPrimitives>>, bytes: Uint8Array) => T,
  encode?: (value: T) => Uint8Array,
): Target {
  let p: Awaited<ReturnType<typeof fuzzPrimitives>> | null = null;
  let isFirst: (e: E2eeError) => boolean = () => false;
  return {
    name,
    entry,
    firstCheck: FIRST_CHECK,
    async seeds() {
      const prims = await fuzzPrimitives();
      p = prims;
      isFirst = firstCheckOf((b) => decode(prims, b));
      return seeds();
    },
    run(input) {
      if (!p) throw new FuzzFailure('seeds() not called');
      const prims = p;
      return decodeStage(() => decode(prims, input), FIRST, encode ? (v) => expectCanonical(input, encode(v), name) : undefined, isFirst);
    },
  };
}

const httpBodyTargets: Target[] = (() => {
  const rng = new Prng('http bodies');
  const entry = logEntrySeeds()[1]!;
  const env = () => vectorFile('envelope.json').tests.map((t: { envelope: string }) => hex(t.envelope)) as Uint8Array[];
  const t = (name: string, seeds: () => Uint8Array[], decode: (b: Uint8Array) => unknown, encode?: (v: any) => Uint8Array) =>
    decoderTarget(`http-${name}`, `crypto/src/wire/http-bodies.ts decode${name.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase())}`, seeds, decode, encode);
  return [
    t('auth-challenge-request', () => [bodies.encodeAuthChallengeRequest({ identityKey: rng.bytes(32) })], bodies.decodeAuthChallengeRequest, bodies.encodeAuthChallengeRequest),
    t('auth-challenge-response', () => [bodies.encodeAuthChallengeResponse({ challenge: rng.bytes(140) })], bodies.decodeAuthChallengeResponse, bodies.encodeAuthChallengeResponse),
    t('auth-session-request', () => [bodies.encodeAuthSessionRequest({ challenge: rng.bytes(140), signature: rng.bytes(64) })], bodies.decodeAuthSessionRequest, bodies.encodeAuthSessionRequest),
    t('auth-session-response', () => [bodies.encodeAuthSessionResponse({ token: rng.bytes(32), memberId: rng.bytes(32), expiresAt: 1_800_000_000_000 })], bodies.decodeAuthSessionResponse, bodies.encodeAuthSessionResponse),
    t(
      'prekey-upload',
      () => [
        bodies.encodePrekeyUpload({ signedPrekey: rng.bytes(140), oneTimePrekeys: [{ id: 1, key: rng.bytes(96) }, { id: 2, key: rng.bytes(96) }] }),
        bodies.encodePrekeyUpload({ signedPrekey: new Uint8Array(0), oneTimePrekeys: [] }),
      ],
      bodies.decodePrekeyUpload,
      bodies.encodePrekeyUpload,
    ),
    t(
      'log-append-request',
      () => [bodies.encodeLogAppendRequest({ expectedHead: rng.bytes(32), entry, envelopes: env() }), bodies.encodeLogAppendRequest({ expectedHead: new Uint8Array(32), entry, envelopes: [] })],
      bodies.decodeLogAppendRequest,
      bodies.encodeLogAppendRequest,
    ),
    t('log-append-response', () => [bodies.encodeLogAppendResponse({ index: 3, head: rng.bytes(32), epoch: 3 })], bodies.decodeLogAppendResponse, bodies.encodeLogAppendResponse),
    t(
      'log-page',
      () => [bodies.encodeLogPage({ items: [{ index: 0, entry, envelope: env()[0]! }, { index: 1, entry, envelope: new Uint8Array(0) }], more: true })],
      bodies.decodeLogPage,
      bodies.encodeLogPage,
    ),
    t(
      'message-page',
      () => [bodies.encodeMessagePage({ items: messageSeeds().slice(0, 3).map((c, i) => ({ seq: i + 1, sender: rng.bytes(32), epoch: 1, sentAt: 1_800_000_000_000 + i, ciphertext: c })), more: false })],
      (b) => bodies.decodeMessagePage(b),
      (v) => bodies.encodeMessagePage(v),
    ),
    t('invite-create-request', () => [bodies.encodeInviteCreateRequest({ expiresAt: 1_800_000_600_000, maxUses: 10 })], bodies.decodeInviteCreateRequest, bodies.encodeInviteCreateRequest),
    t('u64-body', () => [bodies.encodeU64Body(42), bodies.encodeU64Body(2 ** 40)], (b) => bodies.decodeU64Body(b, 'requestId'), bodies.encodeU64Body),
    t('join-request-body', () => [rng.bytes(100), rng.bytes(4096)], bodies.decodeJoinRequestBody),
    t(
      'join-request-list',
      () => [bodies.encodeJoinRequestList([{ requestId: 1, inviteId: rng.bytes(16), createdAt: 1_800_000_000_000, body: rng.bytes(60) }, { requestId: 2, inviteId: rng.bytes(16), createdAt: 1_800_000_000_001, body: rng.bytes(1) }])],
      bodies.decodeJoinRequestList,
      bodies.encodeJoinRequestList,
    ),
    t('id-body', () => [rng.bytes(16)], (b) => bodies.decodeIdBody(b, 'blobId', 16)),
    t(
      'prekey-bundles-request',
      () => [bodies.encodePrekeyBundlesRequest({ memberIds: ascendingIds(3) }), bodies.encodePrekeyBundlesRequest({ memberIds: ascendingIds(1) })],
      bodies.decodePrekeyBundlesRequest,
      bodies.encodePrekeyBundlesRequest,
    ),
    t(
      'prekey-bundles-response',
      () => [bodies.encodePrekeyBundlesResponse(ascendingIds(2).map((memberId) => ({ memberId, bundle: rng.bytes(140) }))), bodies.encodePrekeyBundlesResponse([])],
      bodies.decodePrekeyBundlesResponse,
      bodies.encodePrekeyBundlesResponse,
    ),
  ];
  /** n member IDs in the strictly ascending order both prekey-bundles bodies require. */
  function ascendingIds(n: number): Uint8Array[] {
    return Array.from({ length: n }, () => rng.bytes(32)).sort((a, b) => Buffer.compare(a, b));
  }
})();

/** decryptGroupMessage with a receiver state from the storage-stability vectors: the message path past the decoder. */
function decryptTarget(): Target {
  let p: Awaited<ReturnType<typeof fuzzPrimitives>> | null = null;
  let states: ReceiverState[] = [];
  return {
    name: 'message-decrypt',
    entry: 'crypto/src/message/decrypt.ts decryptGroupMessage (receiver states of storage-stability-message.json)',
    firstCheck: 'the message version byte or length (decodeGroupMessage)',
    async seeds() {
      p = await fuzzPrimitives();
      states = messageStateVectors().receiver.map((r: { state: string }) => decodeReceiverState(hex(r.state)));
      // Messages these states can open (mutations of them reach the signature and AEAD checks), plus the others.
      const own: Uint8Array[] = [];
      for (const r of messageStateVectors().receiver) for (const c of r.continuation) own.push(hex(c.message));
      return [...own, ...own, ...own, ...messageSeeds()];
    },
    run(input): Stage {
      if (!p || states.length === 0) throw new FuzzFailure('seeds() not called');
      const prims = p;
      // The state is chosen by the input so every corpus entry replays the same way.
      const state = states[(input[input.length - 1] ?? 0) % states.length]!;
      return decodeStage(
        () => decryptGroupMessage(prims, state, input),
        FIRST,
        (r) => {
          if (!(r.plaintext instanceof Uint8Array)) throw new FuzzFailure('accepted message without a plaintext');
        },
        (e) => e.code === 'E2E_ERR_UNSUPPORTED_VERSION' || FIRST.includes(failedField(e)),
      );
    },
  };
}

/**
 * The relay's and every client's public fold over an appended entry: input = u8 state
 * selector || a log append request body (entry and envelopes). Selector 0 folds a genesis.
 */
function foldTarget(): Target {
  let p: Awaited<ReturnType<typeof fuzzPrimitives>> | null = null;
  let states: PublicGroupState[] = [];
  return {
    name: 'log-fold',
    entry: 'crypto/src/log/public-fold.ts foldPublicGenesis / foldPublicEntry (states and entries of log-fold.json)',
    firstCheck: 'the append body framing and the entry’s version/length (decodeLogAppendRequest, decodeLogEntry)',
    // Structure-aware half: keep the framing, mutate the entry or one envelope (so inputs reach the fold).
    mutate(rng, seed) {
      const req = bodies.decodeLogAppendRequest(seed.subarray(1));
      const envelopes = [...req.envelopes];
      let entry = req.entry;
      if (envelopes.length > 0 && rng.chance(0.3)) {
        const i = rng.int(envelopes.length);
        envelopes[i] = nextInput(rng, [envelopes[i]!]).slice(0, 100_000);
      } else entry = nextInput(rng, [entry]).slice(0, 200_000);
      const selector = rng.chance(0.9) ? seed[0]! : rng.int(256);
      try {
        const body = bodies.encodeLogAppendRequest({ expectedHead: req.expectedHead, entry, envelopes });
        const out = new Uint8Array(1 + body.length);
        out[0] = selector;
        out.set(body, 1);
        return out;
      } catch {
        return seed; // a mutation the encoder refuses (over a cap): keep the seed
      }
    },
    async seeds() {
      const prims = await fuzzPrimitives();
      p = prims;
      const lf = vectorFile('log-fold.json');
      const raw: Uint8Array[] = [];
      const seeds: Uint8Array[] = [];
      const withState = (state: Uint8Array | null, entry: Uint8Array, envelopes: Uint8Array[]) => {
        let i = 0;
        if (state) {
          raw.push(state);
          i = raw.length;
        }
        const body = bodies.encodeLogAppendRequest({ expectedHead: new Uint8Array(32), entry, envelopes });
        const seed = new Uint8Array(1 + body.length);
        seed[0] = i;
        seed.set(body, 1);
        seeds.push(seed);
      };
      for (const c of lf.chains) {
        withState(null, hex(c.genesis), []);
        let before: string = c.stateAfterGenesis;
        for (const e of c.entries) {
          withState(hex(before), hex(e.entry), e.envelopes.map(hex));
          before = e.stateAfter;
        }
      }
      for (const r of lf.rejections) withState(hex(r.state), hex(r.entry), r.envelopes.map(hex));
      states = raw.map((b) => decodePublicGroupState(prims, b));
      return seeds;
    },
    run(input): Stage {
      if (!p) throw new FuzzFailure('seeds() not called');
      const prims = p;
      if (input.length === 0) return 'first';
      let req: bodies.LogAppendRequest;
      try {
        req = bodies.decodeLogAppendRequest(input.subarray(1));
      } catch (e) {
        if (e instanceof E2eeError) return 'first';
        throw e;
      }
      const selector = input[0]! % (states.length + 1);
      return decodeStage(
        () => (selector === 0 ? foldPublicGenesis(prims, req.entry) : foldPublicEntry(prims, states[selector - 1]!, req.entry, req.envelopes)),
        FIRST,
        (next) => {
          // A folded state is well-formed: it encodes, and decodes to the same bytes.
          const bytes = encodePublicGroupState(next);
          expectCanonical(bytes, encodePublicGroupState(decodePublicGroupState(prims, bytes)), 'log-fold state');
        },
        (e) => e.code === 'E2E_ERR_MALFORMED' && FIRST.includes(failedField(e)),
      );
    },
  };
}

export function cryptoTargets(): Target[] {
  return [
    decoderTarget('log-entry', 'crypto/src/wire/log-entry.ts decodeLogEntry', logEntrySeeds, decodeLogEntry, encodeLogEntry),
    foldTarget(),
    decoderTarget(
      'envelope',
      'crypto/src/wire/envelope.ts decodeEnvelope',
      () => [...vectorFile('envelope.json').tests.map((t: { envelope: string }) => hex(t.envelope)), ...vectorFile('envelope.json').invalidTests.map((t: { envelope: string }) => hex(t.envelope))],
      decodeEnvelope,
      encodeEnvelope,
    ),
    withPrimitives('public-state', 'crypto/src/wire/public-state.ts decodePublicGroupState', publicStateSeeds, decodePublicGroupState, encodePublicGroupState),
    withPrimitives(
      'prekey-bundle',
      'crypto/src/wire/identity.ts decodePrekeyBundle + verifyPrekeyBundle',
      async () => {
        const p = await fuzzPrimitives();
        const seed = new Prng('bundle').bytes(32);
        const store = createPrekeyStore(p, 1_800_000_000_000, 2);
        return [prekeyBundleOf(p, seed, store), prekeyBundleOf(p, seed, store, store.oneTime[0]!.id)];
      },
      (p, b) => {
        const decoded = decodePrekeyBundle(b);
        verifyPrekeyBundle(p, b);
        return decoded;
      },
      encodePrekeyBundle,
    ),
    decoderTarget(
      'welcome',
      'crypto/src/wire/welcome.ts decodeWelcomePayload',
      () => {
        const rng = new Prng('welcome');
        const states = publicStateSeeds();
        return [
          encodeWelcomePayload({ joinerSecret: rng.bytes(32), groupInfo: groupInfoSeeds()[0]!, publicState: states[0]! }),
          encodeWelcomePayload({ joinerSecret: rng.bytes(32), groupInfo: new Uint8Array(0), publicState: states[states.length - 1]! }),
        ];
      },
      decodeWelcomePayload,
      encodeWelcomePayload,
    ),
    decoderTarget('group-info', 'crypto/src/wire/group-info.ts decodeGroupInfo', groupInfoSeeds, decodeGroupInfo, encodeGroupInfo),
    decoderTarget('group-message', 'crypto/src/wire/message.ts decodeGroupMessage', messageSeeds, decodeGroupMessage),
    decryptTarget(),
    decoderTarget(
      'attachment-pointer',
      'crypto/src/wire/attachment.ts decodeAttachmentPointer',
      () => {
        const rng = new Prng('attachment');
        return [
          encodeAttachmentPointer({ kind: 'image', blobId: rng.bytes(16), key: rng.bytes(32), digest: rng.bytes(32), size: 123456 }),
          encodeAttachmentPointer({ kind: 'file', blobId: new Uint8Array(0), key: rng.bytes(32), digest: rng.bytes(32), size: 0 }),
          encodeAttachmentPointer({ kind: 'voice', blobId: rng.bytes(64), key: rng.bytes(32), digest: rng.bytes(32), size: 5000 }),
        ];
      },
      decodeAttachmentPointer,
      encodeAttachmentPointer,
    ),
    decoderTarget(
      'relay-auth-challenge',
      'crypto/src/wire/relay-auth.ts decodeRelayAuthChallenge',
      () => {
        const rng = new Prng('auth');
        return [encodeRelayAuthChallenge({ audience: utf8Encode('wxe2ee-relay'), nonce: rng.bytes(32), identityKey: rng.bytes(32), issuedAt: 1_800_000_000_000, expiresAt: 1_800_000_060_000 })];
      },
      decodeRelayAuthChallenge,
      encodeRelayAuthChallenge,
    ),
    decoderTarget('client-frame', 'crypto/src/wire/relay-frames.ts decodeClientFrame (fast SEND path and full decoder)', clientFrameSeeds, (b) => decodeClientFrame(b), encodeClientFrame),
    decoderTarget('relay-frame', 'crypto/src/wire/relay-frames.ts decodeRelayFrame', relayFrameSeeds, decodeRelayFrame, encodeRelayFrame),
    ...httpBodyTargets,
    withPrimitives('member-state', 'crypto/src/log/member-state.ts decodeGroupMemberState', () => storageSeeds('GroupMemberState'), decodeGroupMemberState, encodeGroupMemberState),
    withPrimitives(
      'prekey-store',
      'crypto/src/identity/prekeys.ts decodePrekeyStore',
      async () => [...storageSeeds('PrekeyStore'), encodePrekeyStore(createPrekeyStore(await fuzzPrimitives(), 1_800_000_000_000, 3))],
      decodePrekeyStore,
      encodePrekeyStore,
    ),
    decoderTarget(
      'sender-state',
      'crypto/src/message/state.ts decodeSenderState',
      () => [...messageStateVectors().sender.map((s: { state: string }) => hex(s.state)), ...messageStateVectors().invalid.filter((s: { kind: string }) => s.kind === 'sender').map((s: { state: string }) => hex(s.state))],
      decodeSenderState,
      encodeSenderState,
    ),
    decoderTarget(
      'receiver-state',
      'crypto/src/message/state.ts decodeReceiverState',
      () => [...messageStateVectors().receiver.map((s: { state: string }) => hex(s.state)), ...messageStateVectors().invalid.filter((s: { kind: string }) => s.kind === 'receiver').map((s: { state: string }) => hex(s.state))],
      decodeReceiverState,
      encodeReceiverState,
    ),
  ];
}
