// Image metadata stripping, run on an image before it is encrypted as an attachment
// (DESIGN.md section 4: "Image metadata (EXIF/GPS) is stripped before encryption").
//
// Structural, lossless: no pixel is decoded or re-encoded. What is removed:
// - JPEG: APP1 (Exif, GPS, XMP), APP3..APP13, APP15 and COM segments before the first
//   scan. Kept: APP0 (JFIF), APP2 (ICC profile: colours) and APP14 (Adobe: needed to
//   decode CMYK/YCCK), and every coding segment. Bytes from the first SOS on are copied.
// - PNG: tEXt, zTXt, iTXt (text, XMP), eXIf (Exif) and tIME chunks.
// - WebP (RIFF): EXIF and "XMP " chunks, and their flags in the VP8X header.
// Other formats (GIF, HEIC, ...) are refused with E2E_ERR_UNSUPPORTED_IMAGE: the caller
// sends them as a plain file or converts them first. The Exif orientation goes with the
// Exif block: a client that honours it must rotate the pixels before stripping.
// Malformed images are refused with E2E_ERR_MALFORMED; nothing is guessed.
import { assertBytes } from '../bytes';
import { E2eeError, MALFORMED } from '../errors';

export const UNSUPPORTED_IMAGE = 'E2E_ERR_UNSUPPORTED_IMAGE';

export type ImageFormat = 'jpeg' | 'png' | 'webp';

export interface StrippedImage {
  readonly format: ImageFormat;
  readonly bytes: Uint8Array;
  /** Number of segments or chunks removed. */
  readonly removed: number;
}

const OP = 'stripImageMetadata';

function malformed(format: string, reason: string): never {
  throw new E2eeError(MALFORMED, `${format}: ${reason}`, OP);
}

function startsWith(bytes: Uint8Array, prefix: readonly number[], at = 0): boolean {
  if (bytes.length < at + prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[at + i] !== prefix[i]) return false;
  return true;
}

function ascii(bytes: Uint8Array, at: number, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += String.fromCharCode(bytes[at + i] ?? 0);
  return s;
}

function join(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] as const;

export function detectImageFormat(bytes: Uint8Array): ImageFormat | null {
  assertBytes('bytes', bytes);
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, PNG_SIGNATURE)) return 'png';
  if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && ascii(bytes, 8, 4) === 'WEBP') return 'webp';
  return null;
}

/** Removes location, camera, text and time metadata from a JPEG, PNG or WebP image. */
export function stripImageMetadata(bytes: Uint8Array): StrippedImage {
  const format = detectImageFormat(bytes);
  if (format === 'jpeg') return stripJpeg(bytes);
  if (format === 'png') return stripPng(bytes);
  if (format === 'webp') return stripWebp(bytes);
  throw new E2eeError(UNSUPPORTED_IMAGE, 'not a JPEG, PNG or WebP image', OP);
}

function keepJpegMarker(marker: number, bytes: Uint8Array, payloadAt: number, payloadLength: number): boolean {
  if (marker === 0xe0) return true; // APP0 JFIF/JFXX
  if (marker === 0xe2) return payloadLength >= 12 && ascii(bytes, payloadAt, 12) === 'ICC_PROFILE\0';
  if (marker === 0xee) return payloadLength >= 5 && ascii(bytes, payloadAt, 5) === 'Adobe';
  if (marker >= 0xe1 && marker <= 0xef) return false; // other APPn: Exif, XMP, maker data
  if (marker === 0xfe) return false; // COM
  return true;
}

function stripJpeg(bytes: Uint8Array): StrippedImage {
  const parts: Uint8Array[] = [bytes.subarray(0, 2)];
  let removed = 0;
  let i = 2;
  for (;;) {
    if (i + 4 > bytes.length) malformed('jpeg', 'ends before the first scan');
    if (bytes[i] !== 0xff) malformed('jpeg', `expected a marker at offset ${i}`);
    let m = i + 1;
    while (bytes[m] === 0xff && m < bytes.length) m++; // fill bytes
    const marker = bytes[m]!;
    if (marker === 0xd9) malformed('jpeg', 'no scan before the end of image');
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01 || marker === 0x00) {
      malformed('jpeg', `unexpected marker 0x${marker.toString(16)} before the first scan`);
    }
    if (m + 3 > bytes.length) malformed('jpeg', 'truncated segment length');
    const length = (bytes[m + 1]! << 8) | bytes[m + 2]!;
    if (length < 2) malformed('jpeg', 'segment length below 2');
    const end = m + 1 + length;
    if (end > bytes.length) malformed('jpeg', 'segment runs past the end');
    if (marker === 0xda) {
      parts.push(bytes.subarray(i)); // SOS: the rest is scan data and later segments, copied as is
      break;
    }
    if (keepJpegMarker(marker, bytes, m + 3, length - 2)) parts.push(bytes.subarray(i, end));
    else removed++;
    i = end;
  }
  return { format: 'jpeg', bytes: join(parts), removed };
}

const PNG_DROP = new Set(['tEXt', 'zTXt', 'iTXt', 'eXIf', 'tIME']);

function stripPng(bytes: Uint8Array): StrippedImage {
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  let removed = 0;
  let i = 8;
  let sawEnd = false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  while (i < bytes.length) {
    if (i + 12 > bytes.length) malformed('png', 'truncated chunk');
    const length = view.getUint32(i);
    const type = ascii(bytes, i + 4, 4);
    if (!/^[A-Za-z]{4}$/.test(type)) malformed('png', 'bad chunk type');
    const end = i + 12 + length;
    if (length > 0x7fffffff || end > bytes.length) malformed('png', 'chunk runs past the end');
    if (PNG_DROP.has(type)) removed++;
    else parts.push(bytes.subarray(i, end));
    i = end;
    if (type === 'IEND') {
      sawEnd = true;
      break;
    }
  }
  if (!sawEnd) malformed('png', 'no IEND chunk');
  if (i !== bytes.length) malformed('png', 'bytes after IEND');
  return { format: 'png', bytes: join(parts), removed };
}

function stripWebp(bytes: Uint8Array): StrippedImage {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 12) malformed('webp', 'truncated header');
  const riffSize = view.getUint32(4, true);
  if (riffSize + 8 !== bytes.length) malformed('webp', 'RIFF size does not match the file');
  const parts: Uint8Array[] = [];
  let removed = 0;
  let i = 12;
  let vp8x: Uint8Array | null = null;
  while (i < bytes.length) {
    if (i + 8 > bytes.length) malformed('webp', 'truncated chunk');
    const fourcc = ascii(bytes, i, 4);
    const size = view.getUint32(i + 4, true);
    const end = i + 8 + size + (size & 1);
    if (end > bytes.length) malformed('webp', 'chunk runs past the end');
    if (fourcc === 'EXIF' || fourcc === 'XMP ') {
      removed++;
    } else {
      const chunk = bytes.slice(i, end);
      if (fourcc === 'VP8X') {
        if (size < 10) malformed('webp', 'short VP8X chunk');
        vp8x = chunk;
      }
      parts.push(chunk);
    }
    i = end;
  }
  if (vp8x) vp8x[8] = vp8x[8]! & ~0x0c; // clear the EXIF (0x08) and XMP (0x04) flags
  const body = join(parts);
  const header = new Uint8Array(12);
  header.set(bytes.subarray(0, 12));
  new DataView(header.buffer).setUint32(4, body.length + 4, true);
  return { format: 'webp', bytes: join([header, body]), removed };
}
