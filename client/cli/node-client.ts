// One device on Node for the terminal chat, the demo's member processes and the client
// benchmarks: a durable owner-only store in `dataDir`, the default primitive backend, the
// ChatClient and its messaging layer, wired in the order the SDK asks for (messaging's
// receiver registered before start()).
import { nodeRandom } from '../../crypto/src/primitives/random';
import { loadDefaultPrimitives } from '../../crypto/src/primitives/select';
import type { Primitives } from '../../crypto/src/primitives/types';
import { nodePlatform } from '../src/net/node-platform';
import { createChatClient, type ChatClient, type ChatClientOptions } from '../src/sdk/chat-client';
import { createMessaging, type Messaging } from '../src/sdk/messaging';
import { openNodeStore, type NodeStoreOptions } from '../src/store/node-store';
import type { LocalStore } from '../src/store/types';

export interface NodeDevice {
  p: Primitives;
  store: LocalStore;
  client: ChatClient;
  messaging: Messaging;
  /** Closes the client, then the store. */
  close(): Promise<void>;
}

export interface OpenDeviceOptions {
  dataDir: string;
  relayUrl: string;
  /** Default true (every write fsynced); benchmarks of many devices may turn it off and say so. */
  fsync?: boolean;
  primitives?: Primitives;
  engine?: ChatClientOptions['engine'];
  connection?: ChatClientOptions['connection'];
  /** Connects (start + whenReady) before resolving. Default true. */
  start?: boolean;
}

export async function openNodeDevice(opts: OpenDeviceOptions): Promise<NodeDevice> {
  const p = opts.primitives ?? (await loadDefaultPrimitives(nodeRandom));
  const storeOptions: NodeStoreOptions = opts.fsync === false ? { fsync: false } : {};
  const store = await openNodeStore(opts.dataDir, storeOptions);
  try {
    const client = await createChatClient({
      platform: nodePlatform(),
      primitives: p,
      store,
      relayUrl: opts.relayUrl,
      random: (n) => p.randomBytes(n),
      ...(opts.engine ? { engine: opts.engine } : {}),
      ...(opts.connection ? { connection: opts.connection } : {}),
    });
    const messaging = await createMessaging(client.engine, { primitives: p, history: client.history, chatList: client.chatList, store, now: () => Date.now() });
    if (opts.start !== false) {
      await client.start();
      await client.whenReady(15_000);
    }
    return {
      p,
      store,
      client,
      messaging,
      async close() {
        await client.close();
        await store.close();
      },
    };
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }
}
