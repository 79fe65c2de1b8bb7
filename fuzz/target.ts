// What a fuzz target is, and how an outcome is classified.
//
// Every input ends in one of three stages, or in a failure:
//   first     rejected by the target's first check (the leading version/type/length field,
//             or a checksum/UTF-8/JSON gate: each target names its own);
//   later     rejected by a later check (a deeper field, a cap, a signature, a fold rule);
//   accepted  decoded (or served) without error.
// "Past the first check" is later + accepted. A failure is anything else: an exception that
// is not an E2eeError with a stable code (a TypeError or RangeError from a decoder is a
// failure too: input bytes are never a caller bug), a broken invariant the target checks
// (e.g. decode-encode round trip), an HTTP 500, a socket closed with an undocumented code,
// or an input that takes longer than the time budget.
import { E2eeError } from '../crypto/src/errors';
import type { Prng } from './prng';

export type Stage = 'first' | 'later' | 'accepted';

export interface Target {
  readonly name: string;
  /** The entry point under test, for the report. */
  readonly entry: string;
  /** What counts as the first check, for the report. */
  readonly firstCheck: string;
  /** Valid inputs the mutations start from (deterministic). */
  seeds(): Uint8Array[] | Promise<Uint8Array[]>;
  /** Runs one input. Returns the stage reached; throws FuzzFailure (or anything untyped) on a bug. */
  run(input: Uint8Array): Stage | Promise<Stage>;
  /** Optional structure-aware mutation, used for part of the inputs (e.g. JSON). */
  mutate?(rng: Prng, seed: Uint8Array): Uint8Array;
  /** Optional repair after mutation (e.g. recompute a checksum so the input reaches the decoder). */
  fixup?(input: Uint8Array): Uint8Array;
  /** Optional setup/teardown for targets that need a relay. */
  open?(): Promise<void>;
  close?(): Promise<void>;
}

/** A broken invariant: always a failure, whatever its class. */
export class FuzzFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FuzzFailure';
  }
}

/** The field a WireReader failure names: messages read `<structure>: <field>: <reason>`. */
export function failedField(e: E2eeError): string {
  const parts = e.message.split(': ');
  return parts.length >= 3 ? parts[1]! : '';
}

/**
 * Runs a decoder. A typed rejection (E2eeError) is `first` when it names one of `firstFields`
 * (or `isFirst` says so), else `later`; anything else thrown propagates as a failure.
 * `check` runs on a successful decode (e.g. a round-trip assertion).
 */
export function decodeStage<T>(
  decode: () => T,
  firstFields: readonly string[],
  check?: (value: T) => void,
  isFirst?: (e: E2eeError) => boolean,
): Stage {
  let value: T;
  try {
    value = decode();
  } catch (e) {
    if (!(e instanceof E2eeError)) throw e;
    if (isFirst ? isFirst(e) : firstFields.includes(failedField(e))) return 'first';
    return 'later';
  }
  check?.(value);
  return 'accepted';
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Asserts decode(encode(x)) gives back the input bytes: one structure, one encoding. */
export function expectCanonical(input: Uint8Array, reencoded: Uint8Array, what: string): void {
  if (!sameBytes(input, reencoded)) throw new FuzzFailure(`${what}: accepted bytes do not re-encode to themselves`);
}
