// Labelled hash: SHA-256(u8(len L) || L || data) with L = "wxe2ee v1 " || label.
//
// The framing is the one signatures use (kdf.ts signatureInput); hash labels are
// distinct from signature labels (labels.ts HASH vs SIG), so no hash input is ever a
// signature input of the protocol.
import { signatureInput } from '../kdf';
import type { Primitives } from '../primitives/types';

export function labelledHash(p: Primitives, label: string, data: Uint8Array): Uint8Array {
  return p.sha256(signatureInput(label, data));
}
