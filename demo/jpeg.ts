// A tiny JPEG with an Exif GPS block, built from scratch for the demo, and a reader that
// finds the GPS position in any JPEG's Exif block. The demo sends the photo and shows that
// the position is gone from what every receiver downloads and decrypts.
//
// The image is a valid baseline JPEG of one 8x8 grey block: SOI, APP0 (JFIF), APP1 (Exif
// with a GPS IFD), DQT, SOF0 (8x8, one component), two one-code Huffman tables, SOS, two
// bits of scan data (DC difference 0, end of block), EOI.

export interface GpsPosition {
  /** Degrees, north positive. */
  lat: number;
  /** Degrees, east positive. */
  lon: number;
}

function u16be(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}

function u32be(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

function segment(marker: number, payload: number[]): number[] {
  return [0xff, marker, ...u16be(payload.length + 2), ...payload];
}

/** Degrees as three Exif RATIONALs (degrees, minutes, seconds x 1000). */
function dms(value: number): number[] {
  const abs = Math.abs(value);
  const deg = Math.floor(abs);
  const minFloat = (abs - deg) * 60;
  const min = Math.floor(minFloat);
  const sec = Math.round((minFloat - min) * 60 * 1000);
  return [...u32be(deg), ...u32be(1), ...u32be(min), ...u32be(1), ...u32be(sec), ...u32be(1000)];
}

/** The Exif APP1 payload ("Exif\0\0" + big-endian TIFF) holding a GPS IFD with `pos`. */
function exifPayload(pos: GpsPosition): number[] {
  // TIFF header (8) | IFD0: count(2) + 1 entry(12) + next(4) = 18 | GPS IFD: count(2) + 4 entries(48) + next(4) = 54 | lat(24) lon(24)
  const ifd0 = 8;
  const gpsIfd = ifd0 + 18;
  const latAt = gpsIfd + 54;
  const lonAt = latAt + 24;
  const entry = (tag: number, type: number, count: number, value: number[]) => [...u16be(tag), ...u16be(type), ...u32be(count), ...value];
  const ascii1 = (c: string) => [c.charCodeAt(0), 0, 0, 0];
  const tiff = [
    0x4d, 0x4d, 0x00, 0x2a, ...u32be(ifd0),
    ...u16be(1), ...entry(0x8825, 4, 1, u32be(gpsIfd)), ...u32be(0),
    ...u16be(4),
    ...entry(0x0001, 2, 2, ascii1(pos.lat >= 0 ? 'N' : 'S')),
    ...entry(0x0002, 5, 3, u32be(latAt)),
    ...entry(0x0003, 2, 2, ascii1(pos.lon >= 0 ? 'E' : 'W')),
    ...entry(0x0004, 5, 3, u32be(lonAt)),
    ...u32be(0),
    ...dms(pos.lat),
    ...dms(pos.lon),
  ];
  return [0x45, 0x78, 0x69, 0x66, 0x00, 0x00, ...tiff];
}

/** An 8x8 grey baseline JPEG whose Exif block records `pos` as the place it was taken. */
export function makeJpegWithGps(pos: GpsPosition): Uint8Array {
  const jfif = [0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, ...u16be(1), ...u16be(1), 0x00, 0x00];
  const dqt = [0x00, ...new Array<number>(64).fill(1)];
  const sof0 = [0x08, ...u16be(8), ...u16be(8), 0x01, 0x01, 0x11, 0x00];
  // One code of length 1 in each table: DC symbol 0 (difference 0), AC symbol 0x00 (end of block).
  const dhtDc = [0x00, 0x01, ...new Array<number>(15).fill(0), 0x00];
  const dhtAc = [0x10, 0x01, ...new Array<number>(15).fill(0), 0x00];
  const sos = [0x01, 0x01, 0x00, 0x00, 0x3f, 0x00];
  const scan = [0x3f]; // bits "00" (DC 0, EOB), padded with ones
  return new Uint8Array([
    0xff, 0xd8,
    ...segment(0xe0, jfif),
    ...segment(0xe1, exifPayload(pos)),
    ...segment(0xdb, dqt),
    ...segment(0xc0, sof0),
    ...segment(0xc4, dhtDc),
    ...segment(0xc4, dhtAc),
    ...segment(0xda, sos),
    ...scan,
    0xff, 0xd9,
  ]);
}

/** The GPS position in a JPEG's Exif block, or null when it has none (or no Exif at all). */
export function readJpegGps(bytes: Uint8Array): GpsPosition | null {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  let i = 2;
  while (i + 4 <= bytes.length) {
    if (bytes[i] !== 0xff) return null;
    const marker = bytes[i + 1]!;
    if (marker === 0xda || marker === 0xd9) return null; // scan reached: no more metadata
    const length = (bytes[i + 2]! << 8) | bytes[i + 3]!;
    const payload = bytes.subarray(i + 4, i + 2 + length);
    if (marker === 0xe1 && payload.length > 14 && String.fromCharCode(...payload.subarray(0, 6)) === 'Exif\0\0') {
      return gpsFromTiff(payload.subarray(6));
    }
    i += 2 + length;
  }
  return null;
}

function gpsFromTiff(t: Uint8Array): GpsPosition | null {
  const little = t[0] === 0x49;
  const view = new DataView(t.buffer, t.byteOffset, t.byteLength);
  const u16 = (o: number) => view.getUint16(o, little);
  const u32 = (o: number) => view.getUint32(o, little);
  try {
    const entries = (ifd: number) => {
      const out = new Map<number, number>();
      const n = u16(ifd);
      for (let k = 0; k < n; k++) out.set(u16(ifd + 2 + k * 12), ifd + 2 + k * 12);
      return out;
    };
    const gpsEntry = entries(u32(4)).get(0x8825);
    if (gpsEntry === undefined) return null;
    const gps = entries(u32(gpsEntry + 8));
    const rational3 = (e: number | undefined) => {
      if (e === undefined) return null;
      const at = u32(e + 8);
      const r = (k: number) => u32(at + k * 8) / u32(at + k * 8 + 4);
      return r(0) + r(1) / 60 + r(2) / 3600;
    };
    const ref = (e: number | undefined) => (e === undefined ? '' : String.fromCharCode(t[e + 8] ?? 0));
    const lat = rational3(gps.get(0x0002));
    const lon = rational3(gps.get(0x0004));
    if (lat === null || lon === null) return null;
    return { lat: ref(gps.get(0x0001)) === 'S' ? -lat : lat, lon: ref(gps.get(0x0003)) === 'W' ? -lon : lon };
  } catch {
    return null; // a truncated Exif block reads as "no position"
  }
}

export function formatGps(pos: GpsPosition): string {
  return `${Math.abs(pos.lat).toFixed(4)}°${pos.lat >= 0 ? 'N' : 'S'} ${Math.abs(pos.lon).toFixed(4)}°${pos.lon >= 0 ? 'E' : 'W'}`;
}
