// The message layer at WeChat's group size (500 members).
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/bytes';
import { MAX_GROUP_MEMBERS } from '../../src/limits';
import { decryptGroupMessage } from '../../src/message/decrypt';
import { startEpoch } from '../../src/message/session';
import { decodeReceiverState, encodeReceiverState } from '../../src/message/state';
import { decodeGroupMessageHeader } from '../../src/wire/message';
import { GROUP, p, send, text, type TestIdentity } from './helpers';

describe('500-member group', () => {
  it('every member index sends and is read; the state round-trips; one epoch of state stays near 51 KB', () => {
    // Identities with distinct member IDs (keys shared for speed: the layer keys chains by member ID).
    const base = Array.from({ length: 4 }, (_, i) => {
      const seed = new Uint8Array(32).fill(i + 1);
      return { seed, identityKey: p.ed25519PublicKey(seed) };
    });
    const members: TestIdentity[] = Array.from({ length: MAX_GROUP_MEMBERS }, (_, i) => ({
      ...base[i % 4]!,
      memberId: p.sha256(Uint8Array.of(i >> 8, i & 255)),
    }));
    const input = { groupId: GROUP, epoch: 9, transcriptHash: new Uint8Array(32).fill(1), senderRoot: new Uint8Array(32).fill(2), members };
    const reader = members[0]!;
    const rx = startEpoch(p, input, reader.memberId, null, { now: 0 }).receiverState;
    expect(rx.epochs[0]!.members.length).toBe(MAX_GROUP_MEMBERS);
    const bytes = encodeReceiverState(rx);
    expect(bytes.length).toBeLessThan(52_000);
    expect(bytesToHex(encodeReceiverState(decodeReceiverState(bytes)))).toBe(bytesToHex(bytes));
    let s = rx;
    for (const who of [members[1]!, members[250]!, members[499]!]) {
      const st = startEpoch(p, input, who.memberId, null, { now: 0 }).senderState;
      const m = send(st, who, text(`from ${st.senderIndex}`)).bytes;
      expect(decodeGroupMessageHeader(m).senderIndex).toBe(st.senderIndex);
      const r = decryptGroupMessage(p, s, m);
      expect(bytesToHex(r.sender.memberId)).toBe(bytesToHex(who.memberId));
      expect(new TextDecoder().decode(r.plaintext)).toBe(`from ${st.senderIndex}`);
      s = r.nextState;
    }
    expect(() => startEpoch(p, { ...input, members: [...members, { ...base[0]!, memberId: new Uint8Array(32).fill(0xee) }] }, reader.memberId, null, { now: 0 })).toThrow(RangeError);
  });
});
