// The short form of the soak (scripts/soak.ts; docs/ADVERSARIAL.md "Soak"): a relay child
// process, two real groups built through the membership log, one socket per device, a few
// seconds of paced real group messages. Nothing acknowledged may be lost or duplicated,
// decrypting members must open every message, and the relay's RSS must stay in bound.
import { describe, expect, it } from 'vitest';
import { planGroups, runSoak } from '../../../scripts/soak';

describe('soak (short form)', () => {
  it('delivers every acknowledged message exactly once to every member of groups of 50 and 70', async () => {
    const r = await runSoak({ groupSizes: [50, 70], seconds: 4, rate: 25, verbose: false, emit: false });
    expect(r.failures).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.acked).toBe(r.sent);
    expect(r.sent).toBeGreaterThan(50);
    expect(r.deliveries).toBe(r.expectedDeliveries);
    expect(r.expectedDeliveries).toBeGreaterThan(r.acked * 40);
    expect(r.lost + r.duplicated + r.outOfOrder + r.errors + r.decryptFailures).toBe(0);
    // Two decrypting members per group opened every message of their group.
    expect(r.decrypted).toBeGreaterThanOrEqual(2 * r.acked - 20);
    expect(r.rss.length).toBeGreaterThanOrEqual(3);
    expect(r.latencyP99Ms).toBeGreaterThan(0);
  }, 90_000);

  it('fails the run when one delivery is lost and another duplicated (the verdict itself is checked)', async () => {
    const r = await runSoak({ groupSizes: [50], seconds: 1.5, rate: 20, verbose: false, emit: false, injectFault: true, drainMs: 1500 });
    expect(r.ok).toBe(false);
    expect(r.lost).toBe(1);
    expect(r.duplicated).toBe(1);
    expect(r.failures.join('\n')).toMatch(/1 acknowledged deliveries lost/);
    expect(r.failures.join('\n')).toMatch(/1 deliveries duplicated/);
  }, 60_000);

  it('plans 2,000 connections as groups of 50 to 500 that add up', () => {
    for (const n of [100, 149, 200, 2000, 2049, 3333, 5000]) {
      const sizes = planGroups(n);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(n);
      for (const s of sizes) {
        expect(s).toBeGreaterThanOrEqual(50);
        expect(s).toBeLessThanOrEqual(500);
      }
    }
    expect(planGroups(2000).length).toBeGreaterThanOrEqual(4);
    expect(() => planGroups(99)).toThrow(RangeError);
  });
});
