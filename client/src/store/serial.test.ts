// The store's operation ordering: one key in call order, different keys side by side,
// exclusive operations alone.
import { describe, expect, it } from 'vitest';
import { createKeyedSerial } from './serial';

/** A step that runs until released, recording when it starts and ends. */
function gate(log: string[], label: string) {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  const op = async () => {
    log.push(`${label} start`);
    await released;
    log.push(`${label} end`);
    return label;
  };
  return { op, release };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('keyed serial', () => {
  it('runs one key in call order, one at a time, and other keys meanwhile', async () => {
    const log: string[] = [];
    const s = createKeyedSerial();
    const a1 = gate(log, 'a1');
    const a2 = gate(log, 'a2');
    const b1 = gate(log, 'b1');
    const r = [s.run('a', a1.op), s.run('a', a2.op), s.run('b', b1.op)];
    await turn();
    expect(log).toEqual(['a1 start', 'b1 start']);
    b1.release();
    await turn();
    expect(log).toEqual(['a1 start', 'b1 start', 'b1 end']);
    a2.release(); // released early: still waits for a1
    await turn();
    expect(log).not.toContain('a2 start');
    a1.release();
    expect(await Promise.all(r)).toEqual(['a1', 'a2', 'b1']);
    expect(log.indexOf('a1 end')).toBeLessThan(log.indexOf('a2 start'));
  });

  it('runs an exclusive operation after everything before it and before everything after it', async () => {
    const log: string[] = [];
    const s = createKeyedSerial();
    const a = gate(log, 'a');
    const b = gate(log, 'b');
    const x = gate(log, 'x');
    const after = gate(log, 'after');
    const r = [s.run('a', a.op), s.run('b', b.op), s.exclusive(x.op), s.run('c', after.op)];
    a.release();
    after.release();
    await turn();
    expect(log).toEqual(['a start', 'b start', 'a end']);
    b.release();
    await turn();
    expect(log.at(-1)).toBe('x start');
    x.release();
    await Promise.all(r);
    expect(log.slice(-4)).toEqual(['x start', 'x end', 'after start', 'after end']);
  });

  it('goes on after a failed operation, which rejects to its own caller', async () => {
    const s = createKeyedSerial();
    const failed = s.run('a', async () => {
      throw new Error('disk full');
    });
    const next = s.run('a', async () => 'next');
    const listing = s.exclusive(async () => 'listed');
    await expect(failed).rejects.toThrow('disk full');
    expect(await next).toBe('next');
    expect(await listing).toBe('listed');
  });
});
