// UTF-8 for the history: the platform's TextEncoder/TextDecoder where they exist (Node),
// the shared codec from crypto/src/bytes otherwise (WeChat's logic layer has neither).
import { utf8DecodeStrict, utf8Encode } from '../../../crypto/src/bytes';

interface Codec {
  encode(text: string): Uint8Array;
  decode(bytes: Uint8Array): string | null;
}

function platformCodec(): Codec | null {
  const g = globalThis as { TextEncoder?: new () => { encode(s: string): Uint8Array }; TextDecoder?: new (label: string, o: { fatal: boolean }) => { decode(b: Uint8Array): string } };
  if (typeof g.TextEncoder !== 'function' || typeof g.TextDecoder !== 'function') return null;
  const enc = new g.TextEncoder();
  const dec = new g.TextDecoder('utf-8', { fatal: true });
  return {
    encode: (text) => enc.encode(text),
    decode: (bytes) => {
      try {
        return dec.decode(bytes);
      } catch {
        return null;
      }
    },
  };
}

const codec: Codec = platformCodec() ?? { encode: utf8Encode, decode: utf8DecodeStrict };

export const encodeUtf8 = (text: string): Uint8Array => codec.encode(text);
/** null for bytes that are not valid UTF-8. */
export const decodeUtf8 = (bytes: Uint8Array): string | null => codec.decode(bytes);
