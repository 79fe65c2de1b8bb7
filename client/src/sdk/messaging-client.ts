// Attaches the messaging layer to a ChatClient: the one call a front end makes after
// createChatClient and before start().
//
//   const client = await createChatClient({ platform, primitives, store, relayUrl });
//   const messaging = await openMessaging(client, { store });
//   messaging.on('message', (e) => render(e.message));
//   await client.start();
//   await messaging.sendText(groupId, '你好 @张老师', { mentions: [teacherId] });
import type { Primitives } from '../../../crypto/src/primitives/types';
import type { LocalStore } from '../store/types';
import type { ChatClient } from './chat-client';
import { createMessaging, type Messaging, type MessagingOptions } from './messaging';

export interface OpenMessagingOptions {
  /** The same LocalStore the client was created with (poll and Q&A state live beside the history). */
  store: LocalStore;
  /** The primitives the client was created with. */
  primitives: Primitives;
  /** Clock in ms (default Date.now). */
  now?: () => number;
  alertMentionsWhenMuted?: boolean;
  alertMentionAllWhenMuted?: boolean;
}

export function openMessaging(client: ChatClient, o: OpenMessagingOptions): Promise<Messaging> {
  const options: MessagingOptions = {
    primitives: o.primitives,
    history: client.history,
    chatList: client.chatList,
    store: o.store,
    now: o.now ?? (() => Date.now()),
    ...(o.alertMentionsWhenMuted !== undefined ? { alertMentionsWhenMuted: o.alertMentionsWhenMuted } : {}),
    ...(o.alertMentionAllWhenMuted !== undefined ? { alertMentionAllWhenMuted: o.alertMentionAllWhenMuted } : {}),
  };
  return createMessaging(client.engine, options);
}
