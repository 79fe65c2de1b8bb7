// Fuzzing the receive paths with fast-check: tampered or random bytes never decrypt and
// never escape as anything but a typed error, and the state is never changed by them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/bytes';
import { isE2eeError } from '../../src/errors';
import { createAttachmentDecryptor, encryptAttachment } from '../../src/attachment/stream';
import { decryptGroupMessage } from '../../src/message/decrypt';
import { encodeReceiverState } from '../../src/message/state';
import { enter, epochInput, GROUP, identity, p, send, text } from './helpers';

const alice = identity(1);
const bob = identity(2);

function outcome(fn: () => unknown): 'ok' | 'typed' | 'untyped' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return isE2eeError(e) ? 'typed' : 'untyped';
  }
}

describe('receive-path fuzzing', () => {
  const input = epochInput(GROUP, 3, [alice, bob]);
  const a = enter(input, alice);
  const b = enter(input, bob);
  const genuine = send(a.senderState, alice, text('fuzz target')).bytes;
  const before = bytesToHex(encodeReceiverState(b.receiverState));

  it('a genuine message with 1..4 bytes changed never decrypts; failures are typed; the state is unchanged', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: genuine.length - 1 }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), (edits) => {
        const m = genuine.slice();
        for (const [i, x] of edits) m[i] = m[i]! ^ x;
        const changed = bytesToHex(m) !== bytesToHex(genuine);
        const o = outcome(() => decryptGroupMessage(p, b.receiverState, m));
        return changed ? o === 'typed' : o === 'ok';
      }),
      { numRuns: 300 },
    );
    expect(bytesToHex(encodeReceiverState(b.receiverState))).toBe(before);
  });

  it('random bytes (with a valid version byte and group ID or not) fail typed', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (raw, framed) => {
        const m = raw.slice();
        if (framed && m.length > 17) {
          m[0] = 1;
          m.set(GROUP, 1);
        }
        return outcome(() => decryptGroupMessage(p, b.receiverState, m)) === 'typed';
      }),
      { numRuns: 500 },
    );
  });

  it('attachment blobs with changed bytes fail typed (at push or finish)', () => {
    const { blob, secrets } = encryptAttachment(p, 'file', new Uint8Array(3000).fill(7));
    fc.assert(
      fc.property(fc.nat({ max: blob.length - 1 }), fc.integer({ min: 1, max: 255 }), fc.nat({ max: blob.length }), (i, x, cut) => {
        const m = blob.slice();
        m[i] = m[i]! ^ x;
        const dec = createAttachmentDecryptor(p, secrets);
        return outcome(() => {
          dec.push(m.subarray(0, cut));
          dec.push(m.subarray(cut));
          dec.finish();
        }) === 'typed';
      }),
      { numRuns: 300 },
    );
  });
});
