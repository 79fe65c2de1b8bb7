import { describe, expect, it } from 'vitest';
import { detectImageFormat, stripImageMetadata } from '../crypto/src/attachment/image-metadata';
import { makeJpegWithGps, readJpegGps } from './jpeg';

describe('demo photo', () => {
  it('carries the GPS position it was made with, north-east and south-west', () => {
    for (const pos of [{ lat: 39.9042, lon: 116.4074 }, { lat: -33.8688, lon: -151.2093 }]) {
      const jpeg = makeJpegWithGps(pos);
      expect(detectImageFormat(jpeg)).toBe('jpeg');
      const read = readJpegGps(jpeg)!;
      expect(read.lat).toBeCloseTo(pos.lat, 5);
      expect(read.lon).toBeCloseTo(pos.lon, 5);
    }
  });

  it('loses its position, and only its metadata, when the crypto core strips it', () => {
    const jpeg = makeJpegWithGps({ lat: 31.2304, lon: 121.4737 });
    const stripped = stripImageMetadata(jpeg);
    expect(stripped.removed).toBe(1);
    expect(readJpegGps(stripped.bytes)).toBeNull();
    // Everything from the quantisation table to the end of image is unchanged.
    const dqt = (b: Uint8Array) => b.findIndex((x, i) => x === 0xff && b[i + 1] === 0xdb);
    expect(Buffer.from(stripped.bytes.subarray(dqt(stripped.bytes)))).toEqual(Buffer.from(jpeg.subarray(dqt(jpeg))));
  });

  it('reads no position from non-JPEG or truncated input', () => {
    expect(readJpegGps(new Uint8Array([1, 2, 3, 4, 5]))).toBeNull();
    const jpeg = makeJpegWithGps({ lat: 1, lon: 2 });
    for (const cut of [3, 10, 30, 60, 100]) expect(() => readJpegGps(jpeg.subarray(0, cut))).not.toThrow();
  });
});
