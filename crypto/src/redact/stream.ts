// Streaming redaction: the same output and findings as `redact` on the whole text,
// wherever the text is split. The stream emits text up to a cut that
//   - lies at least STREAM_HOLD characters before the end of what it has seen, so every
//     value that could still cross it, with its context words and right boundary, has
//     already arrived; and
//   - lies inside no candidate (it moves back to the start of any candidate crossing it).
// Candidates left of the cut then never overlap candidates right of it, so resolving
// each side alone gives the same winners as resolving the whole. It keeps STREAM_LOOKBACK
// emitted characters for left context. Held back: at most STREAM_HOLD + MAX_ENTITY_LENGTH
// characters (more only for a chain of overlapping deny-list matches, which is held whole).

import { STREAM_HOLD, STREAM_LOOKBACK } from './limits';
import type { RedactionPolicy } from './policy';
import { admissibleCandidates, applyRedactions, compilePolicy, resolveOverlaps, type RedactOptions } from './redact';
import type { Finding, RestoreMap } from './types';

export interface RedactionStream {
  /** Adds text; returns the redacted text that is final so far (possibly ''). */
  push(chunk: string): string;
  /** Flushes everything held back. The stream cannot be used afterwards. */
  end(): string;
  /** Findings so far, with absolute offsets into the whole input. */
  readonly findings: readonly Finding[];
  /** Token -> original for the sender's local store. */
  readonly restore: RestoreMap;
}

export function createRedactionStream(policy: RedactionPolicy, options: RedactOptions = {}): RedactionStream {
  const cp = compilePolicy(policy, options);
  let lookback = '';
  let pending = '';
  let base = 0;
  let ended = false;
  const findings: Finding[] = [];
  const restoreMap: RestoreMap = {};

  function flush(final: boolean): string {
    const text = lookback + pending;
    const from = lookback.length;
    const cands = admissibleCandidates(text, cp).filter((c) => c.start >= from);
    let cut = text.length;
    if (!final) {
      cut = text.length - STREAM_HOLD;
      for (let moved = true; moved; ) {
        moved = false;
        for (const c of cands) {
          if (c.start < cut && c.end > cut) {
            cut = c.start;
            moved = true;
          }
        }
      }
      if (cut <= from) return '';
    }
    const left = cands.filter((c) => c.end <= cut);
    const winners = resolveOverlaps(left, cut).map((c) => ({ ...c, start: c.start - from, end: c.end - from }));
    const out = applyRedactions(text.slice(from, cut), winners, cp, base, restoreMap);
    findings.push(...out.findings);
    base += cut - from;
    lookback = text.slice(Math.max(0, cut - STREAM_LOOKBACK), cut);
    pending = text.slice(cut);
    return out.text;
  }

  return {
    push(chunk: string): string {
      if (ended) throw new TypeError('stream already ended');
      if (typeof chunk !== 'string') throw new TypeError('"chunk" expected string');
      pending += chunk;
      return pending.length > 2 * STREAM_HOLD ? flush(false) : '';
    },
    end(): string {
      if (ended) throw new TypeError('stream already ended');
      ended = true;
      const out = pending.length ? flush(true) : '';
      lookback = '';
      pending = '';
      return out;
    },
    get findings() {
      return findings;
    },
    get restore() {
      return restoreMap;
    },
  };
}
