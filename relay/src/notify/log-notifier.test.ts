// The log notifier's line: kind and keyed tags only; never an ID, a subscription token or content.
import { describe, expect, it } from 'vitest';
import { createLogNotifier } from './log-notifier';

describe('log notifier', () => {
  const memberId = new Uint8Array(32).fill(0x11);
  const groupId = new Uint8Array(16).fill(0x22);
  const subscription = new TextEncoder().encode('openid-oAbCdEf123456');

  it('prints one line with the kind and 8-digit tags of member and group', () => {
    const lines: string[] = [];
    const n = createLogNotifier({ write: (l) => lines.push(l), tagKey: new Uint8Array(32) });
    n.notify({ memberId, groupId, kind: 'message', subscription });
    n.notify({ memberId, kind: 'membership', subscription });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^notify kind=message member=[0-9a-f]{8} group=[0-9a-f]{8}$/);
    expect(lines[1]).toMatch(/^notify kind=membership member=[0-9a-f]{8}$/);
    // The same member gets the same tag within a run.
    expect(lines[0]!.split(' ')[2]).toBe(lines[1]!.split(' ')[2]);
    for (const l of lines) {
      expect(l).not.toContain('1111');
      expect(l).not.toContain('2222');
      expect(l).not.toContain('openid');
    }
  });

  it('tags depend on the per-process key, so they do not link to IDs across runs', () => {
    const a: string[] = [];
    const b: string[] = [];
    createLogNotifier({ write: (l) => a.push(l) }).notify({ memberId, groupId, kind: 'message', subscription });
    createLogNotifier({ write: (l) => b.push(l) }).notify({ memberId, groupId, kind: 'message', subscription });
    expect(a[0]).not.toBe(b[0]);
  });
});
