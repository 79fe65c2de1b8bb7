import { describe, expect, it } from 'vitest';
import { createPrimitives } from '../src/primitives/index';
import { nobleBackend } from '../src/primitives/noble';
import { nodeRandom } from '../src/primitives/random';
import { utf8Encode } from '../src/bytes';

describe('noble primitives (smoke)', () => {
  const p = createPrimitives(nobleBackend, nodeRandom);
  it('signs and verifies, and rejects a changed message', () => {
    const seed = p.randomBytes(32);
    const pub = p.ed25519PublicKey(seed);
    const sig = p.ed25519Sign(seed, utf8Encode('你好'));
    expect(p.ed25519Verify(pub, utf8Encode('你好'), sig)).toBe(true);
    expect(p.ed25519Verify(pub, utf8Encode('你好!'), sig)).toBe(false);
  });
});
