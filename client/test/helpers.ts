// Shared set-up of the SDK integration tests: a real relay (temp SQLite, loopback) and
// real clients on the Node platform, each with its own store directory.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBackends, primitivesFor } from '../../crypto/src/primitives/select';
import { nodeRandom } from '../../crypto/src/primitives/random';
import type { Primitives } from '../../crypto/src/primitives/types';
import { startTestRelay, type TestRelay } from '../../relay/test/helpers/relay';
import type { RelayConfig } from '../../relay/src/config';
import { nodePlatform } from '../src/net/node-platform';
import type { Platform, SocketHandlers } from '../src/net/types';
import { openNodeStore } from '../src/store/node-store';
import type { LocalStore } from '../src/store/types';
import { createChatClient, type ChatClient, type ChatEvents } from '../src/sdk/chat-client';
import type { EngineOptions } from '../src/sdk/group-engine';
import type { IncomingPlaintext } from '../src/sdk/messaging-seam';
import { bytesToHex, utf8DecodeStrict } from '../../crypto/src/bytes';
import { isE2eeError } from '../../crypto/src/errors';

await loadBackends();
export const p: Primitives = primitivesFor('node', nodeRandom);

export interface Member {
  name: string;
  client: ChatClient;
  dir: string;
  store: LocalStore;
  /** Every decrypted text, per group hex, in arrival order. */
  inbox: Map<string, string[]>;
  received: IncomingPlaintext[];
  events: { [K in keyof ChatEvents]?: ChatEvents[K][] };
  texts(groupId: Uint8Array): string[];
  /** Rewrites (or drops, with null) frames from the relay before the client sees them: a hostile network or relay. */
  transformIn: ((frame: Uint8Array) => Uint8Array | null) | null;
  /** Delivers a frame as if the relay had sent it on the current socket. */
  inject(frame: Uint8Array): void;
}

export interface World {
  relay: TestRelay;
  members: Member[];
  /** `wrapStore`: what the client sees of its store (e.g. a slow disk); `Member.store` stays the real one. */
  add(name: string, opts?: { dir?: string; engine?: EngineOptions; start?: boolean; wrapStore?: (store: LocalStore) => LocalStore }): Promise<Member>;
  /** Closes a member's client (its directory stays: it can come back with add(name, { dir })). */
  stop(m: Member): Promise<void>;
  /**
   * "A crash": a copy of a member's files as a process killed now would leave them, for
   * add(name, { dir }). Its lock names a live process, so it is dropped. Removed by close().
   */
  crashCopy(m: Member): string;
  close(): Promise<void>;
}

const RECORDED: (keyof ChatEvents)[] = ['membership', 'groupInfo', 'status', 'alarm', 'gap', 'joinRequest', 'unread', 'identityChanged', 'error', 'connection'];

export async function startWorld(relayOverrides: Partial<RelayConfig> = {}, relayClock?: () => number): Promise<World> {
  const relay = await startTestRelay(relayOverrides, undefined, relayClock ? { now: relayClock } : {});
  const members: Member[] = [];
  const dirs: string[] = [];
  const world: World = {
    relay,
    members,
    async add(name, opts = {}) {
      const dir = opts.dir ?? mkdtempSync(join(tmpdir(), `sdk-${name}-`));
      if (!opts.dir) dirs.push(dir);
      const store = await openNodeStore(dir);
      const base = nodePlatform();
      let current: SocketHandlers | null = null;
      const box: { member?: Member } = {};
      const platform: Platform = {
        ...base,
        openSocket(url, handlers) {
          const wrapped: SocketHandlers = {
            onOpen: () => handlers.onOpen(),
            onClose: (c, r) => handlers.onClose(c, r),
            onMessage: (data) => {
              const t = box.member?.transformIn;
              const out = t ? t(data) : data;
              if (out) handlers.onMessage(out);
            },
          };
          current = wrapped;
          return base.openSocket(url, wrapped);
        },
      };
      const client = await createChatClient({
        platform,
        primitives: p,
        store: opts.wrapStore ? opts.wrapStore(store) : store,
        relayUrl: relay.httpUrl,
        engine: { autoCommitJitterMs: 50, sendWaitMs: 10_000, resumeProbeMs: 500, ...(opts.engine ?? {}) },
        connection: { backoff: { minMs: 50, maxMs: 500 } },
      });
      const inbox = new Map<string, string[]>();
      const received: IncomingPlaintext[] = [];
      const events: Member['events'] = {};
      for (const e of RECORDED) {
        const list: unknown[] = [];
        (events as Record<string, unknown[]>)[e] = list;
        client.on(e, (payload) => list.push(payload));
      }
      client.engine.setReceiver(async (m) => {
        received.push(m);
        const hex = bytesToHex(m.groupId);
        const list = inbox.get(hex) ?? [];
        list.push(utf8DecodeStrict(m.plaintext) ?? '<binary>');
        inbox.set(hex, list);
      });
      const member: Member = {
        name,
        client,
        dir,
        store,
        inbox,
        received,
        events,
        texts: (g) => inbox.get(bytesToHex(g)) ?? [],
        transformIn: null,
        inject: (frame) => current?.onMessage(frame),
      };
      box.member = member;
      if (opts.start !== false) {
        await client.start();
        await client.whenReady(10_000);
      }
      members.push(member);
      return member;
    },
    crashCopy(m) {
      const copy = mkdtempSync(join(tmpdir(), `sdk-${m.name}-crash-`));
      dirs.push(copy);
      cpSync(m.dir, copy, { recursive: true });
      rmSync(join(copy, 'lock'), { force: true });
      return copy;
    },
    async stop(m) {
      await m.client.close();
      await m.store.close();
      const i = members.indexOf(m);
      if (i >= 0) members.splice(i, 1);
    },
    async close() {
      for (const m of [...members]) await world.stop(m).catch(() => undefined);
      await relay.cleanup();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
  return world;
}

/** Polls `check` until it holds (every 20 ms), or fails after `timeoutMs` naming `what`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function hex(b: Uint8Array): string {
  return bytesToHex(b);
}

/** The E2eeError code a promise rejects with, 'ok' when it resolves, or a description of another failure. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (e) {
    return isE2eeError(e) ? e.code : `not an E2eeError: ${String(e)}`;
  }
}
