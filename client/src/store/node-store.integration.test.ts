// kill -9 during writes: every acknowledged append survives, the key-value record is one
// whole version (old or new, never a mix), and the store opens cleanly afterwards.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { openNodeStore } from './node-store';

const here = dirname(fileURLToPath(import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'wxe2ee-crash-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function runAndKill(dir: string, killAfterAcks: number): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', resolve(here, '../../test/crash-writer.ts'), dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let lastAck = -1;
    let buffered = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000); // bounded even if acks never come
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const l of lines) if (l.startsWith('acked ')) lastAck = Number(l.slice(6));
      if (lastAck >= killAfterAcks) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', () => {
      clearTimeout(timer);
      resolvePromise(lastAck);
    });
  });
}

it('loses nothing acknowledged and never shows a torn value after SIGKILL (3 rounds)', async () => {
  const dir = join(root, 'store');
  for (const [round, kills] of [[0, 15], [1, 40], [2, 25]] as const) {
    const before = (await (async () => {
      const s = await openNodeStore(dir);
      const n = (await s.readLog('history')).length;
      await s.close();
      return n;
    })());
    const lastAck = await runAndKill(dir, kills);
    expect(lastAck, `round ${round} made progress`).toBeGreaterThanOrEqual(0);

    const store = await openNodeStore(dir);
    const records = await store.readLog('history');
    // The child restarts its counter each round, so this round's records follow the earlier ones.
    const mine = records.slice(before);
    expect(mine.length).toBeGreaterThanOrEqual(lastAck + 1);
    mine.forEach((r, i) => {
      const view = new DataView(r.buffer, r.byteOffset, r.byteLength);
      expect(view.getUint32(0)).toBe(i);
      expect(r.length).toBe(8 + (i % 300));
      expect(r.subarray(4).every((b) => b === i % 256)).toBe(true);
    });
    const state = (await store.get('state'))!;
    const version = new DataView(state.buffer, state.byteOffset).getUint32(0);
    expect(state.length).toBe(64 * 1024);
    // put(i) precedes append(i); the child may have run ahead of the acks we read before the kill.
    expect(version).toBeGreaterThanOrEqual(lastAck);
    expect(version).toBeLessThanOrEqual(mine.length);
    expect(state.subarray(4).every((b) => b === version % 251)).toBe(true);
    await store.close();
  }
}, 90_000);
