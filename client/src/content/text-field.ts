// Compact text fields: the only compression message content uses (docs/CLIENT-SDK.md,
// "Compression and the compression oracle").
//
//   text = u8 form || u16 length || bytes
//   form 0: UTF-8      (strict: no overlong forms, no surrogates)
//   form 1: UTF-16BE   (well-formed: every surrogate paired), only when STRICTLY shorter
//                      than the UTF-8 form; a tie or a longer UTF-16 is rejected, so
//                      every text has exactly one encoding.
//
// Chinese takes 3 bytes a character in UTF-8 and 2 in UTF-16: a third less for the texts
// this product carries. The encoded length is a sum of per-character costs, so it never
// depends on repetitions between parts of a message (no dictionary, no oracle).
// Lone surrogates in input strings become U+FFFD before encoding (as TextEncoder does).
import { utf8DecodeStrict, utf8Encode } from '../../../crypto/src/bytes';
import type { WireReader, WireWriter } from '../../../crypto/src/wire/codec';
import { CONTENT_TOO_LARGE, contentError } from './errors';

export const TEXT_FORM = { utf8: 0, utf16: 1 } as const;

/** Replaces lone surrogates with U+FFFD, so a string has one UTF-8 and one UTF-16 form. */
export function toWellFormed(text: string): string {
  let out: string | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
    }
    out = (out ?? '') + text.slice(start, i) + '\uFFFD';
    start = i + 1;
  }
  return out === null ? text : out + text.slice(start);
}

/** UTF-8 byte length of a well-formed string, without encoding it. */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Encoded size of a text field's bytes (without form and length): the shorter form. */
export function encodedTextBytes(text: string): number {
  const wf = toWellFormed(text);
  return Math.min(utf8Length(wf), 2 * wf.length);
}

function utf16Encode(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[2 * i] = c >> 8;
    out[2 * i + 1] = c & 0xff;
  }
  return out;
}

/** null when not well-formed UTF-16BE (odd length, an unpaired surrogate). */
function utf16Decode(bytes: Uint8Array): string | null {
  if (bytes.length % 2 !== 0) return null;
  const units: number[] = [];
  let out = '';
  for (let i = 0; i < bytes.length; i += 2) {
    const c = (bytes[i]! << 8) | bytes[i + 1]!;
    if (c >= 0xd800 && c <= 0xdbff) {
      if (i + 3 >= bytes.length) return null;
      const d = (bytes[i + 2]! << 8) | bytes[i + 3]!;
      if (d < 0xdc00 || d > 0xdfff) return null;
      units.push(c, d);
      i += 2;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return null;
    } else {
      units.push(c);
    }
    if (units.length >= 4096) {
      out += String.fromCharCode.apply(null, units);
      units.length = 0;
    }
  }
  if (units.length) out += String.fromCharCode.apply(null, units);
  return out;
}

/**
 * Writes a text field. `min`/`max` bound the encoded bytes; a text over `max` is
 * E2E_ERR_CONTENT_TOO_LARGE (a user can type it), under `min` a RangeError (a caller bug).
 */
export function writeText(w: WireWriter, field: string, text: string, min: number, max: number, operation: string): void {
  if (typeof text !== 'string') throw new TypeError(`"${field}" expected string, got ${typeof text}`);
  const wf = toWellFormed(text);
  const u8len = utf8Length(wf);
  const useUtf16 = 2 * wf.length < u8len;
  const size = useUtf16 ? 2 * wf.length : u8len;
  if (size > max) throw contentError(CONTENT_TOO_LARGE, `${field}: ${size} bytes exceed the cap ${max}`, operation);
  if (size < min) throw new RangeError(`"${field}" must not be empty`);
  w.u8(useUtf16 ? TEXT_FORM.utf16 : TEXT_FORM.utf8);
  w.bytes16(useUtf16 ? utf16Encode(wf) : utf8Encode(wf), max);
}

/** Reads a text field, enforcing validity, the bounds and the canonical form. */
export function readText(r: WireReader, field: string, min: number, max: number): string {
  const form = r.enumU8(`${field} form`, [TEXT_FORM.utf8, TEXT_FORM.utf16]);
  const bytes = r.bytes16(field, max, min);
  if (form === TEXT_FORM.utf8) {
    const text = utf8DecodeStrict(bytes);
    if (text === null) r.fail(field, 'not valid UTF-8');
    if (2 * text.length < bytes.length) r.fail(field, 'UTF-16 would be shorter (non-canonical form)');
    return text;
  }
  const text = utf16Decode(bytes);
  if (text === null) r.fail(field, 'not valid UTF-16');
  if (utf8Length(text) <= bytes.length) r.fail(field, 'UTF-8 is not longer (non-canonical form)');
  return text;
}
