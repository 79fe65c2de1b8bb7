// Deployment settings a developer fills in before uploading (no secrets: all of this ships
// in the package and anyone can read it).

/**
 * Relay base URL. WeChat connects only to https:// / wss:// domains whitelisted in the
 * admin console (开发管理 → 服务器域名), ICP-filed. For DevTools against a local relay,
 * tick 不校验合法域名 and use http://127.0.0.1:8787.
 */
export const RELAY_URL = 'http://127.0.0.1:8787';

/**
 * Subscription-message template IDs (订阅消息模板 ID) from the admin console. The template
 * must carry no message content: e.g. "你有新的群消息" with a time field only. Empty: the
 * opt-in button explains that reminders are not configured.
 */
export const SUBSCRIBE_TEMPLATE_IDS: string[] = [];
