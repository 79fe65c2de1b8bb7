// Test fixtures for the network layer: devices on the crypto core, prekey uploads, a group
// of two built with the real commit builders, and real group messages. Crypto only (no relay
// import): the tests start the relay themselves.
import { utf8Encode } from '../../../../crypto/src/bytes';
import { generateIdentity, type DeviceIdentity } from '../../../../crypto/src/identity/identity';
import { createPrekeyStore, prekeyBundleOf, type PrekeyStore } from '../../../../crypto/src/identity/prekeys';
import { commitAdd, createGroup, type CommitResult } from '../../../../crypto/src/log/commit';
import { epochView } from '../../../../crypto/src/log/member-state';
import { encryptGroupMessage, startEpoch } from '../../../../crypto/src/message';
import type { SenderState } from '../../../../crypto/src/message';
import type { Primitives } from '../../../../crypto/src/primitives/types';
import type { PrekeyUpload } from '../../../../crypto/src/wire/http-bodies';
import { signPrekey, verifyPrekeyBundle } from '../../../../crypto/src/wire/identity';
import type { GroupPolicy } from '../../../../crypto/src/wire/log-entry';
import { signRelayAuthChallenge } from '../../../../crypto/src/wire/relay-auth';
import type { RelayApi } from '../types';

export const POLICY: GroupPolicy = {
  joinPolicy: 'approval',
  mayInvite: 'admins',
  mayEditInfo: 'admins',
  maySendMedia: 'members',
  groupMuted: false,
  mutedMembers: [],
  piiPolicy: new Uint8Array(0),
};

export interface TestDevice {
  id: DeviceIdentity;
  prekeys: PrekeyStore;
  sign: (challenge: Uint8Array) => Uint8Array;
}

export function makeDevice(p: Primitives, oneTime = 2): TestDevice {
  const id = generateIdentity(p);
  return { id, prekeys: createPrekeyStore(p, Date.now(), oneTime), sign: (c) => signRelayAuthChallenge(p, id.seed, c) };
}

export function prekeyUploadOf(p: Primitives, d: TestDevice): PrekeyUpload {
  const oneTimePrekeys = d.prekeys.oneTime.map((k) => {
    const s = signPrekey(p, d.id.seed, 'one-time', k.id, k.publicKey);
    return { id: k.id, key: new Uint8Array([...s.publicKey, ...s.signature]) };
  });
  return { signedPrekey: prekeyBundleOf(p, d.id.seed, d.prekeys), oneTimePrekeys };
}

export interface TwoMemberGroup {
  groupId: Uint8Array;
  created: CommitResult;
  added: CommitResult;
  /** Alice's sender chain in the epoch after the add. */
  nextMessage(text: string): Uint8Array;
}

/** Alice creates a group through `aliceApi` and adds Bob from his claimed bundle. */
export async function twoMemberGroup(p: Primitives, aliceApi: RelayApi, alice: TestDevice, bob: TestDevice): Promise<TwoMemberGroup> {
  const created = createGroup(p, alice.id, { policy: POLICY });
  const groupId = created.state.public.groupId;
  await aliceApi.createGroup({ expectedHead: new Uint8Array(32), entry: created.entry, envelopes: created.envelopes });
  const claimed = await aliceApi.claimPrekey(bob.id.memberId);
  if (!claimed) throw new Error('no bundle for bob');
  const added = commitAdd(p, alice.id, created.state, [verifyPrekeyBundle(p, claimed)]);
  await aliceApi.appendLog(groupId, { expectedHead: created.state.public.headHash, entry: added.entry, envelopes: added.envelopes });
  const view = epochView(p, added.state);
  if (!view) throw new Error('no epoch view');
  let sender: SenderState = startEpoch(p, view, alice.id.memberId, null, { now: Date.now() }).senderState;
  return {
    groupId,
    created,
    added,
    nextMessage(text: string) {
      const prepared = encryptGroupMessage(p, sender, utf8Encode(text), { identitySeed: alice.id.seed });
      sender = prepared.nextState;
      return prepared.release(prepared.nextState);
    },
  };
}

/** Polls `cond` every 10 ms until true or `ms` pass. */
export async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A 16-byte time-ordered client message ID (6 bytes of ms, then a counter). */
let counter = 0;
export function clientMessageId(): Uint8Array {
  const id = new Uint8Array(16);
  let t = Date.now();
  for (let i = 5; i >= 0; i--) {
    id[i] = t & 0xff;
    t = Math.floor(t / 256);
  }
  new DataView(id.buffer).setUint32(12, ++counter);
  id[6] = 0x5a;
  return id;
}
