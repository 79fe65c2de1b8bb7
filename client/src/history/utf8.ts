// UTF-8 for the history: the platform's TextEncoder/TextDecoder where they exist (Node),
// the shared codec from crypto/src/bytes otherwise (WeChat's logic layer has neither).
import { utf8DecodeStrict, utf8Encode } from '../../../crypto/src/bytes';

interface Codec {
  encode(text: string): Uint8Array;
  decode(bytes: Uint8Array): string | null;
}

type Globals = {
  TextEncoder?: new () => { encode(s: string): Uint8Array };
  TextDecoder?: new (label: string, o: { fatal: boolean }) => { decode(b: Uint8Array): string };
  Buffer?: { from(b: ArrayBufferLike, offset: number, length: number): { toString(enc: 'utf8'): string } };
};

// WeChat's logic layer may have no `globalThis` at all: naming it there throws, so look first.
const globals: Globals = typeof globalThis === 'object' && globalThis !== null ? (globalThis as Globals) : {};

function platformCodec(): Codec | null {
  const g = globals;
  if (typeof g.TextEncoder !== 'function' || typeof g.TextDecoder !== 'function') return null;
  const enc = new g.TextEncoder();
  const dec = new g.TextDecoder('utf-8', { fatal: true });
  const strict = (bytes: Uint8Array): string | null => {
    try {
      return dec.decode(bytes);
    } catch {
      return null;
    }
  };
  // Node's Buffer decodes about 3x faster than a fatal TextDecoder; it substitutes U+FFFD
  // for bad input, so any U+FFFD sends the bytes through the strict decoder to decide.
  const NodeBuffer = globals.Buffer;
  return {
    encode: (text) => enc.encode(text),
    decode: NodeBuffer
      ? (bytes) => {
          const text = NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
          return text.includes('\uFFFD') ? strict(bytes) : text;
        }
      : strict,
  };
}

const codec: Codec = platformCodec() ?? { encode: utf8Encode, decode: utf8DecodeStrict };

export const encodeUtf8 = (text: string): Uint8Array => codec.encode(text);
/** null for bytes that are not valid UTF-8. */
export const decodeUtf8 = (bytes: Uint8Array): string | null => codec.decode(bytes);
