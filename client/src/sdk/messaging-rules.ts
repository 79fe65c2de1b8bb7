// The permission and redaction rules of the messaging layer, shared by the sender (refuse
// before anything is encrypted) and every receiver (drop what the sender should not have
// sent), so both sides decide the same way from the same public state.
import { bytesToHex } from '../../../crypto/src/bytes';
import { canSendMedia, canSendMessage, memberOf } from '../../../crypto/src/log/public-fold';
import type { PublicGroupState } from '../../../crypto/src/log/public-fold';
import { compilePolicy, redactCompiled, type CompiledPolicy } from '../../../crypto/src/redact';
import { decodePolicyBytes, defaultPolicy, type RedactionPolicy } from '../../../crypto/src/redact/policy';
import type { HmacSha256 } from '../../../crypto/src/redact';
import type { DropReason } from '../content/reasons';
import { isAttachmentContent, type MessageContent } from '../content/types';

/** null when `member` may send `content` under `state`, else why not. */
export function sendRefusal(state: PublicGroupState, member: Uint8Array, content: Pick<MessageContent, 'type'>): DropReason | null {
  const m = memberOf(state, member);
  if (!m || m.leaveRequested || state.dissolved) return 'not-allowed-to-send';
  if (!canSendMessage(state, member)) return 'sender-muted';
  if (isAttachmentContent(content as MessageContent) && !canSendMedia(state, member)) return 'media-forbidden';
  return null;
}

/**
 * The redaction policy of a group. The log carries `piiPolicy` as opaque bytes, so an admin
 * could set bytes that do not decode: then the default policy (mask everything recognised)
 * applies, on the sender and every receiver alike, and the group keeps working.
 */
export function policyOf(bytes: Uint8Array): RedactionPolicy {
  if (bytes.length === 0) return defaultPolicy();
  try {
    return decodePolicyBytes(bytes);
  } catch {
    return defaultPolicy();
  }
}

export interface Redactor {
  /** The text with PII handled by the group's policy, and how many findings there were. */
  redact(state: PublicGroupState, text: string): { text: string; findings: number };
}

/**
 * Redaction under each group's policy, compiled once per distinct policy. The policy is
 * the signed `piiPolicy` of the public group policy (crypto/src/redact canonical JSON), so
 * every member applies the same one; an empty or undecodable policy means the default (mask
 * everything recognised). Token actions use this device's token key.
 */
export function createRedactor(hmacSha256: HmacSha256, tokenKey: Uint8Array): Redactor {
  const cache = new Map<string, CompiledPolicy>();
  // The engine hands out the same state object for every message of an epoch: look the
  // policy bytes up by identity first, by content (hex) only when they are new.
  const byRef = new WeakMap<Uint8Array, CompiledPolicy>();
  const compiled = (bytes: Uint8Array): CompiledPolicy => {
    const known = byRef.get(bytes);
    if (known) return known;
    const key = bytesToHex(bytes);
    let cp = cache.get(key);
    if (!cp) {
      cp = compilePolicy(policyOf(bytes), { hmacSha256, tokenKey });
      if (cache.size >= 16) cache.delete(cache.keys().next().value!);
      cache.set(key, cp);
    }
    byRef.set(bytes, cp);
    return cp;
  };
  return {
    redact(state, text) {
      if (text === '') return { text, findings: 0 };
      const r = redactCompiled(text, compiled(state.policy.piiPolicy));
      return { text: r.text, findings: r.findings.length };
    },
  };
}

/** Applies `redact` to every free-text field of a content (IDs and numbers untouched). */
export function redactContent<C extends MessageContent>(c: C, redact: (text: string) => string): C {
  switch (c.type) {
    case 'text':
      return { ...c, text: redact(c.text), ...(c.replyTo ? { replyTo: { ...c.replyTo, preview: redact(c.replyTo.preview) } } : {}) };
    case 'image':
    case 'video':
    case 'voice':
    case 'file':
      return { ...c, name: redact(c.name), caption: redact(c.caption) };
    case 'poll-create':
      return { ...c, question: redact(c.question), options: c.options.map(redact) };
    case 'qa-ask':
      return { ...c, question: redact(c.question) };
    case 'qa-answer':
      return { ...c, text: redact(c.text) };
    default:
      return c;
  }
}
