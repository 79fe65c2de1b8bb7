import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, concatBytes } from '../../src/bytes';
import { isE2eeError, MALFORMED } from '../../src/errors';
import { detectImageFormat, stripImageMetadata, UNSUPPORTED_IMAGE } from '../../src/attachment/image-metadata';

const enc = (s: string) => Uint8Array.from([...s].map((c) => c.charCodeAt(0)));
const GPS = enc('GPS 31.2304N 121.4737E secret-place');

function seg(marker: number, payload: Uint8Array): Uint8Array {
  const n = payload.length + 2;
  return concatBytes(Uint8Array.of(0xff, marker, n >> 8, n & 255), payload);
}
function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  return bytesToHex(hay).includes(bytesToHex(needle));
}
function code(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return isE2eeError(e) ? e.code : `non-E2eeError ${String(e)}`;
  }
}

const app0 = seg(0xe0, enc('JFIF\0\x01\x01\0\0\x01\0\x01\0\0'));
const exif = seg(0xe1, concatBytes(enc('Exif\0\0'), GPS));
const xmp = seg(0xe1, concatBytes(enc('http://ns.adobe.com/xap/1.0/\0'), enc('<x:xmpmeta>camera</x:xmpmeta>')));
const icc = seg(0xe2, concatBytes(enc('ICC_PROFILE\0'), Uint8Array.of(1, 1, 9, 9)));
const adobe = seg(0xee, enc('Adobe\0d\0\0\0\0\x01'));
const com = seg(0xfe, enc('taken at home'));
const dqt = seg(0xdb, new Uint8Array(65).fill(3));
const sof = seg(0xc0, Uint8Array.of(8, 0, 1, 0, 1, 1, 1, 0x11, 0));
const sos = seg(0xda, Uint8Array.of(1, 1, 0, 0, 0x3f, 0));
const scan = Uint8Array.of(0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56, 0xff, 0xd9);

function jpeg(...segments: Uint8Array[]): Uint8Array {
  return concatBytes(Uint8Array.of(0xff, 0xd8), ...segments, sos, scan);
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const n = data.length;
  return concatBytes(Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255), enc(type), data, Uint8Array.of(0, 0, 0, 0));
}
const PNG_SIG = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

function riffChunk(fourcc: string, data: Uint8Array): Uint8Array {
  const n = data.length;
  return concatBytes(enc(fourcc), Uint8Array.of(n & 255, (n >> 8) & 255, (n >> 16) & 255, n >>> 24), data, n & 1 ? Uint8Array.of(0) : new Uint8Array(0));
}
function webp(...chunks: Uint8Array[]): Uint8Array {
  const body = concatBytes(enc('WEBP'), ...chunks);
  const n = body.length;
  return concatBytes(enc('RIFF'), Uint8Array.of(n & 255, (n >> 8) & 255, (n >> 16) & 255, n >>> 24), body);
}

describe('image metadata stripping', () => {
  it('JPEG: drops Exif/GPS, XMP and comments; keeps JFIF, ICC, Adobe, coding segments and the scan byte for byte', () => {
    const input = jpeg(app0, exif, icc, xmp, adobe, com, dqt, sof);
    const out = stripImageMetadata(input);
    expect(out.format).toBe('jpeg');
    expect(out.removed).toBe(3);
    expect(contains(out.bytes, GPS)).toBe(false);
    expect(contains(out.bytes, enc('camera'))).toBe(false);
    expect(contains(out.bytes, enc('taken at home'))).toBe(false);
    expect(bytesToHex(out.bytes)).toBe(bytesToHex(jpeg(app0, icc, adobe, dqt, sof)));
    expect(bytesToHex(stripImageMetadata(out.bytes).bytes)).toBe(bytesToHex(out.bytes));
  });

  it('PNG: drops text, Exif and time chunks', () => {
    const ihdr = pngChunk('IHDR', new Uint8Array(13).fill(1));
    const idat = pngChunk('IDAT', Uint8Array.of(1, 2, 3));
    const iend = pngChunk('IEND', new Uint8Array(0));
    const input = concatBytes(PNG_SIG, ihdr, pngChunk('tEXt', concatBytes(enc('Comment\0'), GPS)), pngChunk('eXIf', GPS), pngChunk('tIME', new Uint8Array(7)), pngChunk('iTXt', enc('XML:com.adobe.xmp\0\0\0\0\0x')), idat, iend);
    const out = stripImageMetadata(input);
    expect(out.removed).toBe(4);
    expect(contains(out.bytes, GPS)).toBe(false);
    expect(bytesToHex(out.bytes)).toBe(bytesToHex(concatBytes(PNG_SIG, ihdr, idat, iend)));
  });

  it('WebP: drops EXIF and XMP chunks, clears their VP8X flags and fixes the RIFF size', () => {
    const vp8x = riffChunk('VP8X', Uint8Array.of(0x0c, 0, 0, 0, 9, 0, 0, 9, 0, 0));
    const vp8 = riffChunk('VP8 ', new Uint8Array(11).fill(5));
    const input = webp(vp8x, vp8, riffChunk('EXIF', GPS), riffChunk('XMP ', enc('<x:xmpmeta/>')));
    const out = stripImageMetadata(input);
    expect(out.removed).toBe(2);
    expect(contains(out.bytes, GPS)).toBe(false);
    const cleared = riffChunk('VP8X', Uint8Array.of(0x00, 0, 0, 0, 9, 0, 0, 9, 0, 0));
    expect(bytesToHex(out.bytes)).toBe(bytesToHex(webp(cleared, vp8)));
  });

  it('refuses other formats and malformed images with typed errors', () => {
    expect(code(() => stripImageMetadata(enc('GIF89a....')))).toBe(UNSUPPORTED_IMAGE);
    expect(detectImageFormat(enc('GIF89a'))).toBeNull();
    const good = jpeg(app0, exif);
    expect(code(() => stripImageMetadata(good.subarray(0, 20)))).toBe(MALFORMED);
    expect(code(() => stripImageMetadata(concatBytes(Uint8Array.of(0xff, 0xd8), app0, Uint8Array.of(0xff, 0xd9))))).toBe(MALFORMED);
    const png = concatBytes(PNG_SIG, pngChunk('IHDR', new Uint8Array(13)));
    expect(code(() => stripImageMetadata(png))).toBe(MALFORMED); // no IEND
    expect(code(() => stripImageMetadata(concatBytes(png, pngChunk('IEND', new Uint8Array(0)), Uint8Array.of(0))))).toBe(MALFORMED);
    const w = webp(riffChunk('VP8 ', new Uint8Array(4)));
    expect(code(() => stripImageMetadata(w.subarray(0, w.length - 1)))).toBe(MALFORMED);
  });

  it('any bytes behind a known signature strip or fail typed (property)', () => {
    const heads = [Uint8Array.of(0xff, 0xd8, 0xff), PNG_SIG, concatBytes(enc('RIFF'), Uint8Array.of(4, 0, 0, 0), enc('WEBP'))];
    fc.assert(
      fc.property(fc.nat({ max: 2 }), fc.uint8Array({ maxLength: 200 }), (h, tail) => {
        const c = code(() => stripImageMetadata(concatBytes(heads[h]!, tail)));
        return c === 'ok' || c === MALFORMED;
      }),
      { numRuns: 2000 },
    );
  });
});
