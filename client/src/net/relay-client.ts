// Wires the three network pieces for one device: a session keeper shared by the HTTP API
// (which renews on 401) and the WebSocket connection (which renews on 4401/4403).
import type { RandomSource } from '../../../crypto/src/primitives/types';
import { createRelayConnection, type ConnectionOptions, type ManagedRelayConnection } from './connection';
import { createRelayApi, type RelayApiOptions } from './relay-api';
import { createSessionKeeper, type SessionKeeper } from './session';
import type { Platform, RelayApi } from './types';

export interface RelayClientOptions {
  platform: Platform;
  /** http(s)://host[:port] of the relay. */
  httpUrl: string;
  /** ws(s)://host[:port]/v1/ws; default: httpUrl with ws(s):// and /v1/ws. */
  wsUrl?: string;
  identityKey: Uint8Array;
  sign: (challenge: Uint8Array) => Uint8Array;
  random?: RandomSource;
  api?: Omit<RelayApiOptions, 'renewSession'>;
  connection?: Omit<ConnectionOptions, 'platform' | 'api' | 'wsUrl' | 'identityKey' | 'sign' | 'random' | 'sessions'>;
}

export interface RelayClient {
  api: RelayApi;
  connection: ManagedRelayConnection;
  sessions: SessionKeeper;
}

export function wsUrlOf(httpUrl: string): string {
  const m = /^(https?):\/\/([^/?#]+)/.exec(httpUrl);
  if (!m) throw new TypeError('"httpUrl" must be an http:// or https:// URL');
  return `${m[1] === 'https' ? 'wss' : 'ws'}://${m[2]}/v1/ws`;
}

export function createRelayClient(opts: RelayClientOptions): RelayClient {
  let sessions: SessionKeeper | undefined;
  const api = createRelayApi(opts.platform, opts.httpUrl, () => sessions?.current(), {
    ...opts.api,
    // Renew only if the refused token is still the current one (another caller may have renewed already).
    renewSession: (refused) => (refused && sessions!.current() === refused ? sessions!.renew() : sessions!.ensure()),
  });
  sessions = createSessionKeeper({ platform: opts.platform, api, identityKey: opts.identityKey, sign: opts.sign });
  const connection = createRelayConnection({
    ...opts.connection,
    platform: opts.platform,
    api,
    wsUrl: opts.wsUrl ?? wsUrlOf(opts.httpUrl),
    identityKey: opts.identityKey,
    sign: opts.sign,
    sessions,
    ...(opts.random ? { random: opts.random } : {}),
  });
  return { api, connection, sessions };
}
