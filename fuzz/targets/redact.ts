// Targets for the PII redactor: the policy decoders (canonical bytes, and any parsed JSON)
// and the streaming redactor, whose output must equal the one-shot redactor's wherever
// the text is split.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { utf8Encode } from '../../crypto/src/bytes';
import { E2eeError } from '../../crypto/src/errors';
import { decodePolicy, decodePolicyBytes, encodePolicyBytes, type RedactionPolicy } from '../../crypto/src/redact/policy';
import { redact } from '../../crypto/src/redact/redact';
import { createRedactionStream } from '../../crypto/src/redact/stream';
import { mutateJson } from '../json-mutate';
import { Prng } from '../prng';
import { ROOT } from '../seeds';
import { FuzzFailure, sameBytes, type Stage, type Target } from '../target';

const POLICIES: RedactionPolicy[] = [
  decodePolicy({ v: 1 }),
  decodePolicy({ v: 1, actions: { CN_MOBILE: 'remove', EMAIL: 'allow', PERSON: 'mask' }, allow: ['王老师', '10086'], deny: ['小明', '秘密项目'], minScore: 40, minScores: { PLATE: 70 }, serviceNumbers: true, referenceDate: '2026-01-15' }),
  decodePolicy({ v: 1, defaultAction: 'remove', actions: { CN_ID: 'mask', CN_ID15: 'mask', BANK_CARD: 'remove' } }),
];

function corpusTexts(limit: number): string[] {
  const lines = readFileSync(join(ROOT, 'crypto/test/redact/corpus/handwritten.jsonl'), 'utf8').split('\n').filter(Boolean);
  const withEntities = lines.map((l) => JSON.parse(l) as { text: string; entities: unknown[] }).filter((r) => r.entities.length > 0);
  return withEntities.slice(0, limit).map((r) => r.text);
}

function policyStage(e: unknown): Stage {
  if (!(e instanceof E2eeError)) throw e;
  return /not UTF-8|not JSON|too large/.test(e.message) ? 'first' : 'later';
}

/** Input bytes as text: UTF-8 (invalid sequences become U+FFFD) or, for odd first bytes, UTF-16LE with lone surrogates. */
function textOf(input: Uint8Array): string {
  if (input.length > 0 && (input[0]! & 0x81) === 0x81) {
    let s = '';
    for (let i = 1; i + 1 < input.length; i += 2) s += String.fromCharCode(input[i]! | (input[i + 1]! << 8));
    return s;
  }
  return new TextDecoder('utf-8').decode(input);
}

export function redactTargets(): Target[] {
  return [
    {
      name: 'redact-policy-bytes',
      entry: 'crypto/src/redact/policy.ts decodePolicyBytes (the canonical policy in a log entry)',
      firstCheck: 'size, UTF-8 and JSON syntax',
      seeds: () => POLICIES.map(encodePolicyBytes),
      mutate: (rng, seed) => mutateJson(rng, seed),
      run(input): Stage {
        let p: RedactionPolicy;
        try {
          p = decodePolicyBytes(input);
        } catch (e) {
          return policyStage(e);
        }
        if (!sameBytes(encodePolicyBytes(p), input)) throw new FuzzFailure('accepted policy is not canonical');
        return 'accepted';
      },
    },
    {
      name: 'redact-policy-json',
      entry: 'crypto/src/redact/policy.ts decodePolicy (any parsed JSON value)',
      firstCheck: 'JSON syntax (parsed by the harness) and "policy must be an object"',
      seeds: () => [...POLICIES.map(encodePolicyBytes), utf8Encode('{"v":1,"actions":{"QQ":"token"},"allow":["ab"],"deny":[]}')],
      mutate: (rng, seed) => mutateJson(rng, seed),
      run(input): Stage {
        let value: unknown;
        try {
          value = JSON.parse(new TextDecoder('utf-8').decode(input));
        } catch {
          return 'first';
        }
        let p: RedactionPolicy;
        try {
          p = decodePolicy(value);
        } catch (e) {
          if (!(e instanceof E2eeError)) throw e;
          return /must be an object/.test(e.message) ? 'first' : 'later';
        }
        // Normalised policies are canonical and reload to the same bytes.
        const bytes = encodePolicyBytes(p);
        if (!sameBytes(encodePolicyBytes(decodePolicyBytes(bytes)), bytes)) throw new FuzzFailure('normalised policy does not reload');
        return 'accepted';
      },
    },
    {
      name: 'redact-stream',
      entry: 'crypto/src/redact/stream.ts createRedactionStream (push in pieces, end) against redact()',
      firstCheck: 'none: every string is valid input (reported as accepted unless a typed error)',
      seeds: () => corpusTexts(200).map((t) => utf8Encode(t)),
      run(input): Stage {
        const text = textOf(input);
        const policy = POLICIES[input.length % POLICIES.length]!;
        const rng = new Prng(`split ${input.length} ${input[0] ?? 0} ${input[input.length - 1] ?? 0}`);
        let whole;
        try {
          whole = redact(text, policy);
        } catch (e) {
          if (e instanceof E2eeError) return 'later';
          throw e;
        }
        const s = createRedactionStream(policy);
        let out = '';
        for (let i = 0; i < text.length; ) {
          const n = 1 + rng.int(rng.chance(0.5) ? 4 : 40);
          out += s.push(text.slice(i, i + n));
          i += n;
        }
        out += s.end();
        if (out !== whole.text) throw new FuzzFailure('stream output differs from redact()');
        if (JSON.stringify(s.findings) !== JSON.stringify(whole.findings)) throw new FuzzFailure('stream findings differ from redact()');
        return 'accepted';
      },
    },
  ];
}
