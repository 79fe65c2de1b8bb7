// Plants a control string in the clear in the relay's files, through the relay's own
// routes, so the final scan can prove it finds what is there: a control device creates a
// group of its own, sends one "message" whose ciphertext bytes spell the control string
// (the relay checks framing and epoch, never content, so it stores it as is), and uploads
// blobs holding it as UTF-8, UTF-16LE, hex and base64. Nothing a real member sends is
// touched; the control group has no other member.
import { utf8Encode } from '../crypto/src/bytes';
import { generateIdentity } from '../crypto/src/identity/identity';
import { createGroup } from '../crypto/src/log/commit';
import type { Primitives } from '../crypto/src/primitives/types';
import { GROUP_MESSAGE_HEADER_BYTES, MESSAGE_SIGNATURE_BYTES, MESSAGE_TAG_BYTES, writeHeader } from '../crypto/src/wire/message';
import { signRelayAuthChallenge } from '../crypto/src/wire/relay-auth';
import type { Encoding } from '../scripts/plaintext-scan';
import { nodePlatform } from '../client/src/net/node-platform';
import { createRelayClient } from '../client/src/net/relay-client';

/** A padded length the relay's framing check accepts. */
const CONTROL_PADDED_BYTES = 256;

export async function plantControl(p: Primitives, httpUrl: string, control: string): Promise<Encoding[]> {
  const controlBytes = utf8Encode(control);
  if (controlBytes.length > CONTROL_PADDED_BYTES - 8) throw new RangeError('"control" is too long to plant');
  const device = generateIdentity(p);
  const relay = createRelayClient({
    platform: nodePlatform(),
    httpUrl,
    identityKey: device.publicKey,
    sign: (c) => signRelayAuthChallenge(p, device.seed, c),
    random: p.randomBytes,
  });
  const created = createGroup(p, device, {
    policy: { joinPolicy: 'invite-only', mayInvite: 'admins', mayEditInfo: 'admins', maySendMedia: 'members', groupMuted: false, mutedMembers: [], piiPolicy: new Uint8Array(0) },
  });
  await relay.api.createGroup({ expectedHead: new Uint8Array(32), entry: created.entry, envelopes: created.envelopes });
  const groupId = created.state.public.groupId;

  relay.connection.start(() => []);
  try {
    await relay.connection.whenReady(10_000);
    const message = new Uint8Array(GROUP_MESSAGE_HEADER_BYTES + CONTROL_PADDED_BYTES + MESSAGE_TAG_BYTES + MESSAGE_SIGNATURE_BYTES);
    writeHeader(message, groupId, created.state.public.epoch, 0, 0);
    message.set(controlBytes, GROUP_MESSAGE_HEADER_BYTES + 4);
    await relay.connection.send(groupId, p.randomBytes(16), message);
  } finally {
    await relay.connection.stop();
  }

  const asText = (s: string) => utf8Encode(`control blob: ${s} :end`);
  const planted: [Encoding, Uint8Array][] = [
    ['utf8', asText(control)],
    ['utf16le', new Uint8Array(Buffer.from(`control blob: ${control} :end`, 'utf16le'))],
    ['hex', asText(Buffer.from(controlBytes).toString('hex'))],
    ['base64', asText(Buffer.from(controlBytes).toString('base64'))],
  ];
  for (const [, blob] of planted) await relay.api.uploadBlob(groupId, blob);
  return planted.map(([e]) => e);
}
