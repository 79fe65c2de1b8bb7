// Byte helpers shared by every module of crypto/.
//
// Caller bugs throw TypeError (wrong type) or RangeError (wrong size), naming the
// argument. Nothing here ever puts the *content* of a byte array into a message.
// No TextEncoder/TextDecoder: WeChat's logic layer has neither, so UTF-8 is ours.

export function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array || (ArrayBuffer.isView(value) && value.constructor.name === 'Uint8Array');
}

/** Asserts `value` is a Uint8Array (of `length` bytes when given). Returns it for chaining. */
export function assertBytes(name: string, value: unknown, length?: number): Uint8Array {
  if (!isBytes(value)) {
    throw new TypeError(`"${name}" expected Uint8Array, got ${describeType(value)}`);
  }
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`"${name}" expected Uint8Array of length ${length}, got length=${value.length}`);
  }
  return value;
}

/** Asserts a byte array whose length lies in [min, max]. */
export function assertBytesInRange(name: string, value: unknown, min: number, max: number): Uint8Array {
  const bytes = assertBytes(name, value);
  if (bytes.length < min || bytes.length > max) {
    throw new RangeError(`"${name}" expected Uint8Array of length ${min}..${max}, got length=${bytes.length}`);
  }
  return bytes;
}

/** Asserts a safe non-negative integer within [min, max]. */
export function assertInteger(name: string, value: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new TypeError(`"${name}" expected a safe integer, got ${describeType(value)}`);
  }
  if (value < min || value > max) {
    throw new RangeError(`"${name}" expected an integer in ${min}..${max}, got ${value}`);
  }
  return value;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  return typeof value;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Constant-time equality for secrets (MACs, keys, hashes compared against secrets).
 * Runs in time that depends only on the lengths, which are public.
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Overwrites secret material in place. JS cannot promise no copies exist, but we drop ours. */
export function wipe(...arrays: (Uint8Array | undefined | null)[]): void {
  for (const a of arrays) if (a) a.fill(0);
}

const HEX = '0123456789abcdef';

/** Each byte's two lower-case hex digits. */
const BYTE_HEX: readonly string[] = Array.from({ length: 256 }, (_, b) => HEX[b >> 4]! + HEX[b & 15]!);

/**
 * Lower-case hex. Built with join, which makes one flat string: `out +=` makes V8 chain a
 * rope node per byte past the 13th character, about 830 bytes of heap for a 32-byte ID
 * instead of about 80, and IDs in hex sit in maps and in every stored message.
 */
export function bytesToHex(bytes: Uint8Array): string {
  assertBytes('bytes', bytes);
  const digits = new Array<string>(bytes.length);
  for (let i = 0; i < bytes.length; i++) digits[i] = BYTE_HEX[bytes[i]!]!;
  return digits.join('');
}

export function hexToBytes(hex: string): Uint8Array {
  if (typeof hex !== 'string') throw new TypeError(`"hex" expected string, got ${describeType(hex)}`);
  if (hex.length % 2 !== 0) throw new RangeError(`"hex" expected an even number of characters, got ${hex.length}`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexDigit(hex.charCodeAt(2 * i));
    const lo = hexDigit(hex.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) throw new RangeError(`"hex" has a non-hex character at offset ${hi < 0 ? 2 * i : 2 * i + 1}`);
    out[i] = (hi << 4) | lo;
  }
  return out;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** UTF-8 encode. Lone surrogates become U+FFFD, as TextEncoder does. */
export function utf8Encode(text: string): Uint8Array {
  if (typeof text !== 'string') throw new TypeError(`"text" expected string, got ${describeType(text)}`);
  const out = new Uint8Array(text.length * 3);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
        i++;
      }
    }
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    if (cp < 0x80) {
      out[n++] = cp;
    } else if (cp < 0x800) {
      out[n++] = 0xc0 | (cp >> 6);
      out[n++] = 0x80 | (cp & 63);
    } else if (cp < 0x10000) {
      out[n++] = 0xe0 | (cp >> 12);
      out[n++] = 0x80 | ((cp >> 6) & 63);
      out[n++] = 0x80 | (cp & 63);
    } else {
      out[n++] = 0xf0 | (cp >> 18);
      out[n++] = 0x80 | ((cp >> 12) & 63);
      out[n++] = 0x80 | ((cp >> 6) & 63);
      out[n++] = 0x80 | (cp & 63);
    }
  }
  return out.slice(0, n);
}

/**
 * Strict UTF-8 decode: overlong forms, surrogates, code points above U+10FFFF and
 * truncated sequences are rejected (returns null) rather than replaced, so that a
 * decoded string always re-encodes to the same bytes.
 */
export function utf8DecodeStrict(bytes: Uint8Array): string | null {
  assertBytes('bytes', bytes);
  let out = '';
  const chunk: number[] = [];
  for (let i = 0; i < bytes.length; ) {
    const b0 = bytes[i]!;
    let cp: number;
    let need: number;
    let min: number;
    if (b0 < 0x80) {
      cp = b0;
      need = 0;
      min = 0;
    } else if ((b0 & 0xe0) === 0xc0) {
      cp = b0 & 0x1f;
      need = 1;
      min = 0x80;
    } else if ((b0 & 0xf0) === 0xe0) {
      cp = b0 & 0x0f;
      need = 2;
      min = 0x800;
    } else if ((b0 & 0xf8) === 0xf0) {
      cp = b0 & 0x07;
      need = 3;
      min = 0x10000;
    } else {
      return null;
    }
    for (let k = 1; k <= need; k++) {
      const b = bytes[i + k];
      if (b === undefined || (b & 0xc0) !== 0x80) return null;
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return null;
    i += need + 1;
    if (cp >= 0x10000) {
      const v = cp - 0x10000;
      chunk.push(0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff));
    } else {
      chunk.push(cp);
    }
    if (chunk.length >= 4096) {
      out += String.fromCharCode.apply(null, chunk);
      chunk.length = 0;
    }
  }
  if (chunk.length) out += String.fromCharCode.apply(null, chunk);
  return out;
}
