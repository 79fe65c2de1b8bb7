// redact(text, policy, options) -> { text, findings, restore }.
//
// 1. Recognisers propose candidates (recognise.ts); deny-list terms add CUSTOM ones.
// 2. Candidates inside one of our own tokens are dropped, then those below the policy's
//    minimum score for their type.
// 3. Overlaps are resolved greedily: higher score first, then longer, then type priority
//    (ENTITY_TYPES order: ID > card > phone > ...), then earlier start.
// 4. Each winner gets its action: allow-listed values (not floor types) are allowed,
//    otherwise the policy's action for the type. The output is rebuilt left to right.

import { assertBytes } from '../bytes';
import { foldWidth } from './fold';
import { TOKEN_KEY_LENGTH } from './limits';
import { maskValue } from './mask';
import { actionFor, decodePolicy, FLOOR_TYPES, minScoreFor, normalizeForList, type RedactionPolicy } from './policy';
import { findCandidates } from './recognise';
import { deriveToken, MARKER_PATTERN, removedMarker, type HmacSha256 } from './token';
import { ENTITY_TYPES, type Action, type Candidate, type EntityType, type Finding, type RedactionResult, type RestoreMap } from './types';

export interface RedactOptions {
  /** HMAC-SHA256, e.g. `primitives.hmacSha256`. Required when the policy uses the 'token' action. */
  hmacSha256?: HmacSha256;
  /** 32-byte key held only by the sender's device. Required with `hmacSha256`. */
  tokenKey?: Uint8Array;
  /** Overrides the policy's reference date for birth dates (YYYY-MM-DD). */
  referenceDate?: string;
}

/** A policy checked once and turned into lookup tables. */
export interface CompiledPolicy {
  policy: RedactionPolicy;
  notAfter: number;
  allow: Set<string>;
  deny: string[];
  actions: Map<EntityType, Action>;
  minScores: Map<EntityType, number>;
  hmac: HmacSha256 | undefined;
  key: Uint8Array | undefined;
}

const PRIORITY = new Map<EntityType, number>(ENTITY_TYPES.map((t, i) => [t, i]));

export function compilePolicy(policy: RedactionPolicy, options: RedactOptions = {}): CompiledPolicy {
  const p = decodePolicy(policy);
  if (options === null || typeof options !== 'object') throw new TypeError('"options" expected an object');
  const date = options.referenceDate !== undefined ? decodePolicy({ ...p, referenceDate: options.referenceDate }).referenceDate : p.referenceDate;
  const notAfter = date === null ? 20991231 : Number(date.replace(/-/g, ''));
  const actions = new Map<EntityType, Action>();
  const minScores = new Map<EntityType, number>();
  let usesToken = false;
  for (const t of ENTITY_TYPES) {
    const a = actionFor(p, t);
    actions.set(t, a);
    minScores.set(t, minScoreFor(p, t));
    if (a === 'token') usesToken = true;
  }
  if (usesToken) {
    if (typeof options.hmacSha256 !== 'function') throw new TypeError('"hmacSha256" is required by the token action');
    assertBytes('tokenKey', options.tokenKey, TOKEN_KEY_LENGTH);
  }
  return {
    policy: p,
    notAfter,
    allow: new Set(p.allow.map((v) => normalizeForList(foldWidth(v)))),
    deny: p.deny.map((d) => foldWidth(d)),
    actions,
    minScores,
    hmac: options.hmacSha256,
    key: options.tokenKey,
  };
}

/** Candidates that pass the policy's filters (before overlap resolution). */
export function admissibleCandidates(text: string, cp: CompiledPolicy): Candidate[] {
  // Our own tokens and removal markers are never recognised again, nor read as context words:
  // they are blanked (same length, so offsets stay true) before the recognisers run.
  const protectedSpans: [number, number][] = [];
  let scanned = text;
  if (text.indexOf('[') >= 0) {
    MARKER_PATTERN.lastIndex = 0;
    let blanked = '';
    let pos = 0;
    for (let m = MARKER_PATTERN.exec(text); m !== null; m = MARKER_PATTERN.exec(text)) {
      protectedSpans.push([m.index, m.index + m[0].length]);
      blanked += text.slice(pos, m.index) + '\u0000'.repeat(m[0].length);
      pos = m.index + m[0].length;
    }
    if (protectedSpans.length) scanned = blanked + text.slice(pos);
  }
  const cands = findCandidates(scanned, { notAfter: cp.notAfter, serviceNumbers: cp.policy.serviceNumbers });
  if (cp.deny.length) {
    const folded = foldWidth(text);
    for (const term of cp.deny) {
      for (let at = folded.indexOf(term); at >= 0; at = folded.indexOf(term, at + 1)) {
        cands.push({ type: 'CUSTOM', start: at, end: at + term.length, score: 1, validators: ['deny-list'], context: false, normalized: term });
      }
    }
  }
  let inMarker: Uint8Array | null = null;
  if (protectedSpans.length) {
    inMarker = new Uint8Array(text.length + 1);
    for (const [s, e] of protectedSpans) inMarker.fill(1, s, e);
  }
  return cands.filter((cand) => {
    if (cand.score < cp.minScores.get(cand.type)!) return false;
    if (inMarker) for (let i = cand.start; i < cand.end; i++) if (inMarker[i]) return false;
    return true;
  });
}

function byRank(a: Candidate, b: Candidate): number {
  return b.score - a.score || b.end - b.start - (a.end - a.start) || PRIORITY.get(a.type)! - PRIORITY.get(b.type)! || a.start - b.start;
}

/** Greedy overlap resolution; returns the winners sorted by start. Deterministic. */
export function resolveOverlaps(cands: Candidate[], length: number): Candidate[] {
  if (cands.length === 0) return [];
  const order = cands.length > 1 ? [...cands].sort(byRank) : [...cands];
  const taken = new Uint8Array(length);
  const out: Candidate[] = [];
  for (const c of order) {
    let free = true;
    for (let i = c.start; i < c.end; i++) {
      if (taken[i]) {
        free = false;
        break;
      }
    }
    if (!free) continue;
    taken.fill(1, c.start, c.end);
    out.push(c);
  }
  return out.sort((a, b) => a.start - b.start);
}

/**
 * Rewrites `text` with the winners. `offset` is added to every finding's offsets (streaming).
 * Restore entries for tokens are added to `restoreMap`.
 */
export function applyRedactions(
  text: string,
  winners: Candidate[],
  cp: CompiledPolicy,
  offset: number,
  restoreMap: RestoreMap,
): { text: string; findings: Finding[] } {
  let out = '';
  let pos = 0;
  const findings: Finding[] = [];
  for (const w of winners) {
    const value = text.slice(w.start, w.end);
    let action = cp.actions.get(w.type)!;
    if (cp.allow.size && !FLOOR_TYPES.includes(w.type) && cp.allow.has(normalizeForList(w.normalized))) action = 'allow';
    let replacement: string;
    switch (action) {
      case 'allow':
        replacement = value;
        break;
      case 'mask':
        replacement = maskValue(w.type, value);
        break;
      case 'remove':
        replacement = removedMarker(w.type);
        break;
      case 'token':
        replacement = deriveToken(cp.hmac!, cp.key!, w.type, w.normalized);
        if (!Object.prototype.hasOwnProperty.call(restoreMap, replacement)) restoreMap[replacement] = value;
        break;
    }
    out += text.slice(pos, w.start) + replacement;
    pos = w.end;
    findings.push({
      type: w.type,
      start: w.start + offset,
      end: w.end + offset,
      score: w.score,
      validators: w.validators,
      context: w.context,
      action,
      replacement,
    });
  }
  out += text.slice(pos);
  return { text: out, findings };
}

/** Redacts PII in `text` under `policy`. Pure and deterministic. */
export function redact(text: string, policy: RedactionPolicy, options: RedactOptions = {}): RedactionResult {
  if (typeof text !== 'string') throw new TypeError('"text" expected string');
  const cp = compilePolicy(policy, options);
  return redactCompiled(text, cp);
}

export function redactCompiled(text: string, cp: CompiledPolicy): RedactionResult {
  const winners = resolveOverlaps(admissibleCandidates(text, cp), text.length);
  const restoreMap: RestoreMap = {};
  const { text: out, findings } = applyRedactions(text, winners, cp, 0, restoreMap);
  return { text: out, findings, restore: restoreMap };
}
