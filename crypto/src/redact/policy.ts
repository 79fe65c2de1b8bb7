// The redaction policy: plain data carried in the signed group policy.
//
// Canonical encoding (what is signed): UTF-8 of a JSON object with keys in code-unit
// order and no whitespace, exactly
//   {"actions":{<TYPE>:<action>,...},"allow":[...],"defaultAction":<action>,"deny":[...],
//    "minScore":<0..90>,"minScores":{<TYPE>:<0..90>,...},"referenceDate":<"YYYY-MM-DD"|null>,
//    "serviceNumbers":<bool>,"v":1}
// where `actions` and `minScores` list only types set explicitly (keys sorted), `allow`
// and `deny` are sorted (code-unit order) and free of duplicates, and scores are integer
// percentages. `decodePolicyBytes` rejects any other byte string, so one policy has one
// encoding and its signature is stable.
//
// Local floor: CN_ID, CN_ID15 and BANK_CARD can never be allowed. An explicit 'allow'
// (per type or as the default) is REJECTED by the decoder with E2E_ERR_BAD_POLICY; the
// allow list never exempts them; and a minimum score above 90 is rejected, so no policy
// can silently switch them off.

import { utf8DecodeStrict, utf8Encode, assertBytes } from '../bytes';
import { E2eeError } from '../errors';
import {
  MAX_POLICY_JSON_LENGTH,
  MAX_POLICY_LIST_ENTRIES,
  MAX_POLICY_LIST_ENTRY_LENGTH,
  MIN_POLICY_LIST_ENTRY_LENGTH,
} from './limits';
import { ACTIONS, ENTITY_TYPES, type Action, type EntityType } from './types';

export const BAD_POLICY = 'E2E_ERR_BAD_POLICY';

/** Types that are never silently allowed (the local floor). */
export const FLOOR_TYPES: readonly EntityType[] = ['CN_ID', 'CN_ID15', 'BANK_CARD'];
/** Highest minimum score a policy may set (percent): above it, valid IDs and cards could slip through. */
export const MAX_MIN_SCORE = 90;

export interface RedactionPolicy {
  v: 1;
  /** Per-type action; types not listed use `defaultAction`. */
  actions: Partial<Record<EntityType, Action>>;
  defaultAction: Action;
  /** Minimum score, integer percent 0..90; a candidate below it is ignored. */
  minScore: number;
  /** Per-type minimum score overrides, integer percent 0..90. */
  minScores: Partial<Record<EntityType, number>>;
  /** Values never redacted (compared after folding, without spaces or hyphens, case-insensitive). Not for floor types. */
  allow: string[];
  /** Terms always redacted wherever they occur (exact, after folding), reported as CUSTOM. */
  deny: string[];
  /** Report 400/800 service numbers as CN_LANDLINE (default false: business lines are not PII). */
  serviceNumbers: boolean;
  /** Birth dates after this date are not real (YYYY-MM-DD). Null: any date up to 2099-12-31. */
  referenceDate: string | null;
}

export function defaultPolicy(): RedactionPolicy {
  return {
    v: 1,
    actions: {},
    defaultAction: 'mask',
    minScore: 50,
    minScores: {},
    allow: [],
    deny: [],
    serviceNumbers: false,
    referenceDate: null,
  };
}

function bad(message: string): never {
  throw new E2eeError(BAD_POLICY, message, 'decodePolicy');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

const KEYS = 'actions allow defaultAction deny minScore minScores referenceDate serviceNumbers v'.split(' ');

function decodeAction(v: unknown, where: string): Action {
  if (typeof v !== 'string' || !(ACTIONS as readonly string[]).includes(v)) bad(`${where}: unknown action`);
  return v as Action;
}

function decodeScore(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_MIN_SCORE) bad(`${where}: expected an integer 0..${MAX_MIN_SCORE}`);
  return v;
}

function decodeType(k: string, where: string): EntityType {
  if (!(ENTITY_TYPES as readonly string[]).includes(k)) bad(`${where}: unknown entity type`);
  return k as EntityType;
}

function decodeList(v: unknown, where: string): string[] {
  if (!Array.isArray(v)) bad(`${where}: expected an array`);
  if (v.length > MAX_POLICY_LIST_ENTRIES) bad(`${where}: more than ${MAX_POLICY_LIST_ENTRIES} entries`);
  const out: string[] = [];
  for (const e of v) {
    if (typeof e !== 'string') bad(`${where}: entries must be strings`);
    if (e.length < MIN_POLICY_LIST_ENTRY_LENGTH || e.length > MAX_POLICY_LIST_ENTRY_LENGTH) {
      bad(`${where}: entries must have ${MIN_POLICY_LIST_ENTRY_LENGTH}..${MAX_POLICY_LIST_ENTRY_LENGTH} characters`);
    }
    if (/[\uD800-\uDFFF]/.test(e.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''))) bad(`${where}: lone surrogate`);
    if (e.trim() !== e) bad(`${where}: entries must not start or end with white space`);
    out.push(e);
  }
  return [...new Set(out)].sort();
}

const DATE_RE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;

function decodeDate(v: unknown): string | null {
  if (v === null) return null;
  if (typeof v !== 'string') bad('referenceDate: expected YYYY-MM-DD or null');
  const m = DATE_RE.exec(v);
  if (!m) bad('referenceDate: expected YYYY-MM-DD');
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const dim = mo === 2 ? ((y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28) : [4, 6, 9, 11].includes(mo) ? 30 : 31;
  if (y < 1900 || y > 2099 || mo < 1 || mo > 12 || d < 1 || d > dim) bad('referenceDate: not a date in 1900..2099');
  return v;
}

/**
 * Validates a policy given as a parsed JSON value and returns a normalised copy.
 * Throws E2eeError(E2E_ERR_BAD_POLICY) on unknown keys, wrong types, out-of-range values,
 * and on any attempt to allow a floor type.
 */
export function decodePolicy(value: unknown): RedactionPolicy {
  if (!isPlainObject(value)) bad('policy must be an object');
  for (const k of Object.keys(value)) if (!KEYS.includes(k)) bad('unknown policy field');
  if (value.v !== 1) bad('unsupported policy version');
  const actionsIn = value.actions ?? {};
  if (!isPlainObject(actionsIn)) bad('actions: expected an object');
  const actions: Partial<Record<EntityType, Action>> = {};
  for (const [k, a] of Object.entries(actionsIn)) {
    const type = decodeType(k, 'actions');
    const action = decodeAction(a, `actions.${type}`);
    if (action === 'allow' && FLOOR_TYPES.includes(type)) bad(`actions.${type}: this type can never be allowed`);
    actions[type] = action;
  }
  const defaultAction = value.defaultAction === undefined ? 'mask' : decodeAction(value.defaultAction, 'defaultAction');
  if (defaultAction === 'allow') {
    for (const t of FLOOR_TYPES) if (actions[t] === undefined) bad(`defaultAction 'allow' needs an explicit action for ${t}`);
  }
  const minScore = value.minScore === undefined ? 50 : decodeScore(value.minScore, 'minScore');
  const minScoresIn = value.minScores ?? {};
  if (!isPlainObject(minScoresIn)) bad('minScores: expected an object');
  const minScores: Partial<Record<EntityType, number>> = {};
  for (const [k, s] of Object.entries(minScoresIn)) minScores[decodeType(k, 'minScores')] = decodeScore(s, `minScores.${k}`);
  const serviceNumbers = value.serviceNumbers ?? false;
  if (typeof serviceNumbers !== 'boolean') bad('serviceNumbers: expected a boolean');
  return {
    v: 1,
    actions,
    defaultAction,
    minScore,
    minScores,
    allow: decodeList(value.allow ?? [], 'allow'),
    deny: decodeList(value.deny ?? [], 'deny'),
    serviceNumbers,
    referenceDate: decodeDate(value.referenceDate ?? null),
  };
}

function sortedObject<T>(o: Partial<Record<EntityType, T>>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k as EntityType] as T;
  return out;
}

/** Canonical JSON text of a policy (validated first). */
export function encodePolicy(policy: RedactionPolicy): string {
  const p = decodePolicy(policy);
  return JSON.stringify({
    actions: sortedObject(p.actions),
    allow: p.allow,
    defaultAction: p.defaultAction,
    deny: p.deny,
    minScore: p.minScore,
    minScores: sortedObject(p.minScores),
    referenceDate: p.referenceDate,
    serviceNumbers: p.serviceNumbers,
    v: 1,
  });
}

export function encodePolicyBytes(policy: RedactionPolicy): Uint8Array {
  return utf8Encode(encodePolicy(policy));
}

/** Decodes the canonical bytes; anything that is not exactly the canonical encoding is rejected. */
export function decodePolicyBytes(bytes: Uint8Array): RedactionPolicy {
  assertBytes('bytes', bytes);
  if (bytes.length > MAX_POLICY_JSON_LENGTH * 3) bad('policy too large');
  const text = utf8DecodeStrict(bytes);
  if (text === null) bad('policy is not UTF-8');
  if (text.length > MAX_POLICY_JSON_LENGTH) bad('policy too large');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    bad('policy is not JSON');
  }
  const policy = decodePolicy(parsed);
  if (encodePolicy(policy) !== text) bad('policy is not in canonical form');
  return policy;
}

/** The action a policy gives a type (the floor already enforced by decodePolicy). */
export function actionFor(policy: RedactionPolicy, type: EntityType): Action {
  const a = policy.actions[type] ?? policy.defaultAction;
  if (a === 'allow' && FLOOR_TYPES.includes(type)) return 'mask';
  return a;
}

export function minScoreFor(policy: RedactionPolicy, type: EntityType): number {
  return (policy.minScores[type] ?? policy.minScore) / 100;
}

/** Canonical form used to compare a value with the allow list. */
export function normalizeForList(value: string): string {
  return value.replace(/[\s\-·]/g, '').toUpperCase();
}
