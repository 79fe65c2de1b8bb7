// Byte-level reader and writer for every wire structure of the project.
//
// Conventions (docs/PROTOCOL.md, "Encoding"): integers are unsigned big-endian
// (u8, u16, u32, u64 limited to 2^53-1); variable-length fields are a length prefix
// (u8, u16 or u32) followed by that many bytes; every length has a documented cap
// checked before any allocation. A decoder must consume its input exactly: trailing
// bytes are an error, so each structure has one encoding.
import { assertBytes } from '../bytes';
import { E2eeError, MALFORMED } from '../errors';

export class WireWriter {
  private buffer: Uint8Array;
  private view: DataView;
  private length = 0;

  constructor(initialCapacity = 256) {
    this.buffer = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buffer.buffer);
  }

  private reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
    this.view = new DataView(next.buffer);
  }

  u8(value: number): this {
    checkUint('u8', value, 0xff);
    this.reserve(1);
    this.buffer[this.length++] = value;
    return this;
  }

  u16(value: number): this {
    checkUint('u16', value, 0xffff);
    this.reserve(2);
    this.view.setUint16(this.length, value);
    this.length += 2;
    return this;
  }

  u32(value: number): this {
    checkUint('u32', value, 0xffffffff);
    this.reserve(4);
    this.view.setUint32(this.length, value);
    this.length += 4;
    return this;
  }

  /** u64 on the wire; values are limited to Number.MAX_SAFE_INTEGER. */
  u64(value: number): this {
    checkUint('u64', value, Number.MAX_SAFE_INTEGER);
    this.reserve(8);
    this.view.setUint32(this.length, Math.floor(value / 0x100000000));
    this.view.setUint32(this.length + 4, value >>> 0);
    this.length += 8;
    return this;
  }

  /** Raw bytes of a fixed, known length (the decoder must know the length). */
  fixed(bytes: Uint8Array, length: number): this {
    assertBytes('bytes', bytes, length);
    this.reserve(length);
    this.buffer.set(bytes, this.length);
    this.length += length;
    return this;
  }

  /** u8 length prefix, then the bytes. */
  bytes8(bytes: Uint8Array, max = 0xff): this {
    return this.prefixed(bytes, 1, Math.min(max, 0xff));
  }

  /** u16 length prefix, then the bytes. */
  bytes16(bytes: Uint8Array, max = 0xffff): this {
    return this.prefixed(bytes, 2, Math.min(max, 0xffff));
  }

  /** u32 length prefix, then the bytes. */
  bytes32(bytes: Uint8Array, max: number): this {
    return this.prefixed(bytes, 4, max);
  }

  private prefixed(bytes: Uint8Array, width: 1 | 2 | 4, max: number): this {
    assertBytes('bytes', bytes);
    if (bytes.length > max) throw new RangeError(`"bytes" length ${bytes.length} exceeds the field cap ${max}`);
    if (width === 1) this.u8(bytes.length);
    else if (width === 2) this.u16(bytes.length);
    else this.u32(bytes.length);
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
    return this;
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

function checkUint(name: string, value: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`"${name}" value out of range 0..${max}: ${String(value)}`);
  }
}

/**
 * Reads a structure from bytes. Every failure is an E2eeError(MALFORMED) naming the
 * structure and field, never the content. `what` is the structure being decoded.
 */
export class WireReader {
  private offset = 0;
  private readonly view: DataView;

  constructor(
    private readonly input: Uint8Array,
    private readonly what: string,
  ) {
    assertBytes('input', input);
    this.view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  }

  fail(field: string, reason: string): never {
    throw new E2eeError(MALFORMED, `${this.what}: ${field}: ${reason}`, `decode ${this.what}`);
  }

  private need(field: string, count: number): void {
    if (this.offset + count > this.input.length) {
      this.fail(field, `truncated (needs ${count} bytes at offset ${this.offset}, ${this.input.length - this.offset} left)`);
    }
  }

  get remaining(): number {
    return this.input.length - this.offset;
  }

  get position(): number {
    return this.offset;
  }

  u8(field: string): number {
    this.need(field, 1);
    return this.input[this.offset++]!;
  }

  u16(field: string): number {
    this.need(field, 2);
    const v = this.view.getUint16(this.offset);
    this.offset += 2;
    return v;
  }

  u32(field: string): number {
    this.need(field, 4);
    const v = this.view.getUint32(this.offset);
    this.offset += 4;
    return v;
  }

  u64(field: string): number {
    this.need(field, 8);
    const hi = this.view.getUint32(this.offset);
    const lo = this.view.getUint32(this.offset + 4);
    if (hi > 0x1fffff) this.fail(field, 'exceeds 2^53-1');
    this.offset += 8;
    return hi * 0x100000000 + lo;
  }

  /** A u8 that must be one of `allowed`. */
  enumU8<T extends number>(field: string, allowed: readonly T[]): T {
    const v = this.u8(field);
    if (!(allowed as readonly number[]).includes(v)) this.fail(field, `unknown value ${v}`);
    return v as T;
  }

  fixed(field: string, length: number): Uint8Array {
    this.need(field, length);
    const out = this.input.slice(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  bytes8(field: string, max = 0xff, min = 0): Uint8Array {
    return this.prefixed(field, this.u8(field), min, max);
  }

  bytes16(field: string, max = 0xffff, min = 0): Uint8Array {
    return this.prefixed(field, this.u16(field), min, max);
  }

  bytes32(field: string, max: number, min = 0): Uint8Array {
    return this.prefixed(field, this.u32(field), min, max);
  }

  private prefixed(field: string, length: number, min: number, max: number): Uint8Array {
    if (length > max) this.fail(field, `length ${length} exceeds cap ${max}`);
    if (length < min) this.fail(field, `length ${length} below minimum ${min}`);
    return this.fixed(field, length);
  }

  /** Asserts the whole input was consumed: one structure, one encoding. */
  end(): void {
    if (this.offset !== this.input.length) this.fail('end', `${this.input.length - this.offset} trailing bytes`);
  }
}

/** For encoders: a value whose `version` is not the one this code writes is a caller bug. */
export function assertVersion(version: unknown, expected: number): void {
  if (version !== expected) throw new RangeError(`"version" expected ${expected}`);
}
