// The message-layer vector verifiers must notice a changed expectation (so a passing
// verification means something): flip one expected value per file and expect a mismatch.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VECTORS_DIR } from '../../../test-vectors/registry';
import type { VectorSuite } from '../../../test-vectors/suite';
import { suite as attachment } from '../../../test-vectors/suites/attachment';
import { suite as message } from '../../../test-vectors/suites/message';
import { suite as padding } from '../../../test-vectors/suites/padding';
import { suite as senderChain } from '../../../test-vectors/suites/sender-chain';
import { suite as storage } from '../../../test-vectors/suites/storage-stability-message';
import { p } from './helpers';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function load(s: VectorSuite): Json {
  return JSON.parse(readFileSync(join(VECTORS_DIR, s.file), 'utf8')) as Json;
}

function flipHex(h: string): string {
  return (h[0] === '0' ? '1' : '0') + h.slice(1);
}

const cases: [VectorSuite, (d: Json) => void][] = [
  [senderChain, (d) => (d.tests[0].generations[3].messageKey = flipHex(d.tests[0].generations[3].messageKey))],
  [message, (d) => (d.tests[1].plaintext = flipHex(d.tests[1].plaintext))],
  [message, (d) => (d.tests.find((t: Json) => t.result === 'invalid').error = 'E2E_ERR_AUTH_FAILED')],
  [padding, (d) => (d.lengths[5].paddedLength += 4)],
  [padding, (d) => (d.unpad.find((t: Json) => t.result === 'invalid').result = 'valid')],
  [attachment, (d) => (d.valid[1].digest = flipHex(d.valid[1].digest))],
  [attachment, (d) => (d.invalid[4].error = 'E2E_ERR_MALFORMED')],
  [storage, (d) => (d.receiver[0].state = d.receiver[0].state.slice(0, -2) + '00')],
  [storage, (d) => (d.sender[0].continuation.message = flipHex(d.sender[0].continuation.message))],
];

describe('message-layer vector verifiers reject altered files', () => {
  cases.forEach(([s, mutate], i) => {
    it(`${s.file} #${i}: a changed expectation is reported`, () => {
      const d = load(s);
      expect(s.verify(d, p)).toEqual([]);
      mutate(d);
      expect(s.verify(d, p).length).toBeGreaterThan(0);
    });
  });
  it('an unknown result string is reported', () => {
    const d = load(message);
    d.tests[0].result = 'acceptable';
    expect(message.verify(d, p).join()).toMatch(/unknown test result/);
  });
});
