// Errors of the network layer: the four E2E_ERR_NET_* codes (docs/ERRORS.md) and relay
// refusals as E2eeError `E2E_ERR_RELAY_<NAME>` carrying `relayError` and `status`.
// Messages never carry a token, a key, a URL query or content: only what a log may show.
import { E2eeError } from '../../../crypto/src/errors';
import { RELAY_ERROR, relayErrorName, type RelayErrorName } from '../../../crypto/src/wire/relay-frames';
import type { RelayRefusal } from './types';

/** The network failed: no connection, DNS, reset, TLS. Retry later. */
export const NET_FAILED = 'E2E_ERR_NET_FAILED';
/** No answer in time (HTTP request, SEND_OK, READY). Retry; a send with the SAME client message ID. */
export const NET_TIMEOUT = 'E2E_ERR_NET_TIMEOUT';
/** The socket is not open, or dropped before the answer came. Retry after reconnecting. */
export const NET_CLOSED = 'E2E_ERR_NET_CLOSED';
/** The relay (or something in between) answered what the protocol does not allow: wrong status, content type, size. */
export const NET_BAD_RESPONSE = 'E2E_ERR_NET_BAD_RESPONSE';

export class RelayRefusalError extends E2eeError implements RelayRefusal {
  readonly relayError: RelayErrorName;
  readonly status: number;
  constructor(relayError: RelayErrorName, status: number, detail: string, operation: string) {
    super(`E2E_ERR_RELAY_${relayError}`, `relay refused (${relayError}${status ? `, HTTP ${status}` : ''}): ${safeDetail(detail)}`, operation);
    this.name = 'RelayRefusalError';
    this.relayError = relayError;
    this.status = status;
  }
}

/** True for a relay refusal, optionally of one name: `isRelayRefusal(e, 'HEAD_MISMATCH')`. */
export function isRelayRefusal(value: unknown, name?: RelayErrorName): value is RelayRefusalError {
  return value instanceof RelayRefusalError && (name === undefined || value.relayError === name);
}

/** The refusal of a WebSocket ERROR frame's numeric code (status 0), or a bad-response error for an unknown code. */
export function refusalOfFrame(code: number, detail: string, operation: string): E2eeError {
  const name = relayErrorName(code);
  if (!name) return new E2eeError(NET_BAD_RESPONSE, `relay sent unknown error code ${code}`, operation);
  return new RelayRefusalError(name, 0, detail, operation);
}

/** The name in an `E2E_ERR_RELAY_<NAME>` string, when it is one of RELAY_ERROR. */
export function relayNameOfCode(code: unknown): RelayErrorName | undefined {
  if (typeof code !== 'string' || !code.startsWith('E2E_ERR_RELAY_')) return undefined;
  const name = code.slice('E2E_ERR_RELAY_'.length);
  return Object.prototype.hasOwnProperty.call(RELAY_ERROR, name) ? (name as RelayErrorName) : undefined;
}

/** Printable ASCII only, at most 160 characters: a relay's text is shown, never trusted. */
export function safeDetail(text: string): string {
  let out = '';
  for (let i = 0; i < text.length && out.length < 160; i++) {
    const c = text.charCodeAt(i);
    out += c >= 0x20 && c <= 0x7e ? text[i] : '?';
  }
  return out;
}
