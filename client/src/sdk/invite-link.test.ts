import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../../crypto/src/bytes';
import { isE2eeError } from '../../../crypto/src/errors';
import { generateIdentity } from '../../../crypto/src/identity/identity';
import { createPrekeyStore, prekeyBundleOf } from '../../../crypto/src/identity/prekeys';
import { nodeRandom } from '../../../crypto/src/primitives/random';
import { loadBackends, primitivesFor } from '../../../crypto/src/primitives/select';
import { decodeControl, encodeLinkShare, formatInviteLink, openJoinRequest, parseInviteLink, sealJoinRequest, type InviteLink } from './invite-link';

await loadBackends();
const p = primitivesFor('node', nodeRandom);

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return isE2eeError(e) ? e.code : `${(e as Error).name}`;
  }
}

function link(): InviteLink {
  return { inviteId: p.randomBytes(16), groupId: p.randomBytes(16), linkSecret: p.randomBytes(32) };
}

function joinerBundle(): Uint8Array {
  const id = generateIdentity(p);
  return prekeyBundleOf(p, id.seed, createPrekeyStore(p, 0, 1), null);
}

describe('invite links', () => {
  it('format and parse round-trip; anything else is E2E_ERR_SDK_BAD_LINK', () => {
    const l = link();
    const text = formatInviteLink(l);
    const back = parseInviteLink(text);
    expect(bytesToHex(back.inviteId)).toBe(bytesToHex(l.inviteId));
    expect(bytesToHex(back.groupId)).toBe(bytesToHex(l.groupId));
    expect(bytesToHex(back.linkSecret)).toBe(bytesToHex(l.linkSecret));
    for (const bad of ['', text.replace(':1:', ':2:'), text.slice(0, -1), text + '0', text.toUpperCase(), text.replace('wxe2ee', 'http'), `${text}:extra`]) {
      expect(codeOf(() => parseInviteLink(bad))).toBe('E2E_ERR_SDK_BAD_LINK');
    }
    fc.assert(fc.property(fc.string(), (s) => codeOf(() => parseInviteLink(s)) === 'E2E_ERR_SDK_BAD_LINK' || /^wxe2ee-join:1:/.test(s.trim())));
  });

  it('a join request opens under its link with the bundle and name it was sealed with', () => {
    const l = link();
    const bundle = joinerBundle();
    const body = sealJoinRequest(p, l, { bundle, name: '王小明' });
    const opened = openJoinRequest(p, l, body);
    expect(opened.name).toBe('王小明');
    expect(bytesToHex(opened.bundleBytes)).toBe(bytesToHex(bundle));
    expect(opened.bundle.oneTimePrekey).toBeNull();
  });

  it('refuses another link secret, another invite or group, every bit flip, and junk', () => {
    const l = link();
    const body = sealJoinRequest(p, l, { bundle: joinerBundle(), name: 'x' });
    expect(codeOf(() => openJoinRequest(p, { ...l, linkSecret: p.randomBytes(32) }, body))).toBe('E2E_ERR_AUTH_FAILED');
    expect(codeOf(() => openJoinRequest(p, { ...l, inviteId: p.randomBytes(16) }, body))).toBe('E2E_ERR_AUTH_FAILED');
    expect(codeOf(() => openJoinRequest(p, { ...l, groupId: p.randomBytes(16) }, body))).toBe('E2E_ERR_AUTH_FAILED');
    for (let i = 0; i < body.length; i += 7) {
      const t = body.slice();
      t[i] = t[i]! ^ 1;
      expect(['E2E_ERR_AUTH_FAILED', 'E2E_ERR_MALFORMED']).toContain(codeOf(() => openJoinRequest(p, l, t)));
    }
    for (const junk of [new Uint8Array(0), Uint8Array.of(1), Uint8Array.of(2, ...new Uint8Array(40)), new Uint8Array(25)]) {
      expect(['E2E_ERR_AUTH_FAILED', 'E2E_ERR_MALFORMED']).toContain(codeOf(() => openJoinRequest(p, l, junk)));
    }
  });

  it('a request whose bundle signature is wrong is refused even under the right key', () => {
    const l = link();
    const bundle = joinerBundle();
    // version(1) || identityKey(32) || id(4) || prekey(32) || signature(64) || hasOneTime(1): flip the signature.
    bundle[1 + 32 + 4 + 32 + 10] = bundle[1 + 32 + 4 + 32 + 10]! ^ 1;
    const body = sealJoinRequest(p, l, { bundle, name: '' });
    expect(codeOf(() => openJoinRequest(p, l, body))).toBe('E2E_ERR_BAD_SIGNATURE');
  });

  it('names are capped at 64 UTF-8 bytes', () => {
    expect(codeOf(() => sealJoinRequest(p, link(), { bundle: joinerBundle(), name: '名'.repeat(22) }))).toBe('RangeError');
  });

  it('link-share control frames round-trip and junk is refused', () => {
    const inviteId = p.randomBytes(16);
    const secret = p.randomBytes(32);
    const c = decodeControl(encodeLinkShare(inviteId, secret, 1234));
    expect(bytesToHex(c.inviteId)).toBe(bytesToHex(inviteId));
    expect(bytesToHex(c.linkSecret)).toBe(bytesToHex(secret));
    expect(c.expiresAt).toBe(1234);
    const good = encodeLinkShare(inviteId, secret, 1);
    for (const junk of [good.slice(0, -1), Uint8Array.of(...good, 0), Uint8Array.of(1, ...good.subarray(1)), Uint8Array.of(2, 9, ...good.subarray(2))]) {
      expect(codeOf(() => decodeControl(junk))).toBe('E2E_ERR_MALFORMED');
    }
  });
});
