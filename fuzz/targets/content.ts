// Target for the client's message content codec (client/src/content): the plaintext inside
// every group message, so bytes any member can choose.
import fc from 'fast-check';
import { E2eeError } from '../../crypto/src/errors';
import { decodeContent, encodeContent } from '../../client/src/content/codec';
import { arbContent } from '../../client/test/content/arbitraries';
import { expectCanonical, type Stage, type Target } from '../target';

export function contentTarget(): Target {
  return {
    name: 'content',
    entry: 'client/src/content/codec.ts decodeContent (message plaintext: text, media, file, poll, Q&A, recall)',
    firstCheck: 'the total size cap, the version and the content type (E2E_ERR_CONTENT_UNSUPPORTED or the size check)',
    // Deterministic sample of the codec's own property-test arbitraries.
    seeds: () => fc.sample(arbContent, { seed: 20261126, numRuns: 60 }).map((c) => encodeContent(c)),
    run(input): Stage {
      let decoded;
      try {
        decoded = decodeContent(input);
      } catch (e) {
        if (!(e instanceof E2eeError)) throw e;
        if (e.code === 'E2E_ERR_CONTENT_UNSUPPORTED' || / exceed /.test(e.message) || /: version: /.test(e.message)) return 'first';
        return 'later';
      }
      expectCanonical(input, encodeContent(decoded), 'content');
      return 'accepted';
    },
  };
}
