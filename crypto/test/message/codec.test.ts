// Decoders: message framing (the relay's header decoder) and the two state encodings.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/bytes';
import { isE2eeError, MALFORMED } from '../../src/errors';
import { MAX_GROUP_MESSAGE_BYTES } from '../../src/limits';
import { decryptGroupMessage } from '../../src/message/decrypt';
import { UNSUPPORTED_VERSION } from '../../src/message/errors';
import {
  decodeReceiverState,
  decodeSenderState,
  encodeReceiverState,
  encodeSenderState,
  type ReceiverState,
} from '../../src/message/state';
import { startEpoch } from '../../src/message/session';
import { decodeGroupMessageHeader, encodeGroupMessageHeader, isPaddedLength } from '../../src/wire/message';
import { enter, epochInput, GROUP, identity, p, send, skippedIn, text } from './helpers';

const alice = identity(1);
const bob = identity(2);
const carol = identity(3);

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isE2eeError(e)) return e.code;
    return `non-E2eeError: ${String(e)}`;
  }
  return 'no error';
}

/** A receiver state with two epochs, skipped keys, and a retired timestamp. */
function richReceiverState(): ReceiverState {
  const e1 = epochInput(GROUP, 7, [alice, bob, carol]);
  const a1 = enter(e1, alice).senderState;
  let s = enter(e1, bob).receiverState;
  let st = a1;
  const msgs: Uint8Array[] = [];
  for (let i = 0; i < 5; i++) {
    const r = send(st, alice, text(`m${i}`));
    msgs.push(r.bytes);
    st = r.next;
  }
  s = decryptGroupMessage(p, s, msgs[4]!).nextState; // 4 skipped
  s = decryptGroupMessage(p, s, msgs[1]!).nextState; // 3 skipped
  return startEpoch(p, epochInput(GROUP, 9, [alice, bob]), bob.memberId, s, { now: 123456789 }).receiverState;
}

const junk: [string, Uint8Array][] = [
  ['empty', new Uint8Array(0)],
  ['one byte', Uint8Array.of(1)],
  ['zero version', new Uint8Array(200)],
  ['all ones', new Uint8Array(200).fill(0xff)],
  ['header only', Uint8Array.of(1, ...new Uint8Array(26))],
  ['too long', (() => { const b = new Uint8Array(MAX_GROUP_MESSAGE_BYTES + 1); b[0] = 1; return b; })()],
];

describe('group message framing (keyless, used by the relay)', () => {
  it('decodes the header of a real message', () => {
    const st = enter(epochInput(GROUP, 3, [alice, bob]), alice).senderState;
    const { bytes } = send(st, alice, text('hello'));
    const h = decodeGroupMessageHeader(bytes);
    expect(h).toEqual({ version: 1, groupId: GROUP, epoch: 3, senderIndex: st.senderIndex, generation: 0 });
    expect(bytesToHex(encodeGroupMessageHeader(h))).toBe(bytesToHex(bytes.subarray(0, 27)));
  });

  it('rejects a junk list with typed errors', () => {
    for (const [name, bytes] of junk) {
      const c = code(() => decodeGroupMessageHeader(bytes));
      expect([MALFORMED, UNSUPPORTED_VERSION], name).toContain(c);
    }
    expect(code(() => decodeGroupMessageHeader(new Uint8Array(200)))).toBe(UNSUPPORTED_VERSION);
  });

  it('rejects a ciphertext length no padded plaintext has, and the reserved generation', () => {
    const st = enter(epochInput(GROUP, 3, [alice, bob]), alice).senderState;
    const { bytes } = send(st, alice, text('hello'));
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(code(() => decodeGroupMessageHeader(longer))).toBe(MALFORMED);
    const reserved = bytes.slice();
    reserved.fill(0xff, 23, 27);
    expect(code(() => decodeGroupMessageHeader(reserved))).toBe(MALFORMED);
    expect(isPaddedLength(32)).toBe(true);
    expect(isPaddedLength(33)).toBe(false);
    expect(isPaddedLength(31)).toBe(false);
  });

  it('any byte string decodes or fails with a typed error (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 400 }), fc.boolean(), (raw, v1) => {
        const bytes = raw.slice();
        if (v1 && bytes.length > 0) bytes[0] = 1;
        const c = code(() => decodeGroupMessageHeader(bytes));
        return c === 'no error' || c === MALFORMED || c === UNSUPPORTED_VERSION;
      }),
      { numRuns: 2000 },
    );
  });
});

describe('state encodings', () => {
  it('sender state round-trips losslessly', () => {
    const st = send(enter(epochInput(GROUP, 3, [alice, bob]), alice).senderState, alice, text('x')).next;
    const bytes = encodeSenderState(st);
    expect(decodeSenderState(bytes)).toEqual(st);
    expect(bytesToHex(encodeSenderState(decodeSenderState(bytes)))).toBe(bytesToHex(bytes));
  });

  it('receiver state round-trips losslessly (epochs, retired time, skipped keys)', () => {
    const s = richReceiverState();
    expect(s.epochs.length).toBe(2);
    expect(s.epochs[1]!.chains.some((c) => skippedIn(c) === 3)).toBe(true);
    const bytes = encodeReceiverState(s);
    expect(decodeReceiverState(bytes)).toEqual(s);
    expect(bytesToHex(encodeReceiverState(decodeReceiverState(bytes)))).toBe(bytesToHex(bytes));
  });

  it('rejects unknown versions and the other kind with typed errors', () => {
    const sb = encodeSenderState(enter(epochInput(GROUP, 3, [alice, bob]), alice).senderState);
    const rb = encodeReceiverState(richReceiverState());
    for (const b of [sb, rb]) {
      const v2 = b.slice();
      v2[0] = 2;
      expect(code(() => decodeSenderState(v2))).toBe(UNSUPPORTED_VERSION);
      expect(code(() => decodeReceiverState(v2))).toBe(UNSUPPORTED_VERSION);
    }
    expect(code(() => decodeReceiverState(sb))).toBe(MALFORMED);
    expect(code(() => decodeSenderState(rb))).toBe(MALFORMED);
  });

  it('rejects truncations, trailing bytes and broken invariants', () => {
    const rb = encodeReceiverState(richReceiverState());
    for (const cut of [1, 2, 50, 100, rb.length - 1]) expect(code(() => decodeReceiverState(rb.subarray(0, cut)))).toBe(MALFORMED);
    const trailing = new Uint8Array(rb.length + 1);
    trailing.set(rb);
    expect(code(() => decodeReceiverState(trailing))).toBe(MALFORMED);
    // Epochs out of order: swap the epoch numbers is hard in place; set the first epoch to 0 instead.
    const lowFirst = rb.slice();
    lowFirst.fill(0, 59, 63); // u32 epoch of the first epoch record (offset 2+16+32+8+1)
    expect(code(() => decodeReceiverState(lowFirst))).toBe(MALFORMED);
  });

  it('every single-byte corruption of a receiver state decodes to a valid state or fails typed (property)', () => {
    const rb = encodeReceiverState(richReceiverState());
    fc.assert(
      fc.property(fc.nat({ max: rb.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const b = rb.slice();
        b[i] = b[i]! ^ x;
        const c = code(() => decodeReceiverState(b));
        return c === 'no error' || c === MALFORMED || c === UNSUPPORTED_VERSION;
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        const c1 = code(() => decodeReceiverState(b));
        const c2 = code(() => decodeSenderState(b));
        return [c1, c2].every((c) => c === 'no error' || c === MALFORMED || c === UNSUPPORTED_VERSION);
      }),
      { numRuns: 1000 },
    );
  });
});
