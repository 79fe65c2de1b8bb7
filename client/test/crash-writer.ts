// Child process for the crash test: writes forever until killed with SIGKILL.
// Each round i: put('state', 64 KiB of byte i%251 after a 4-byte i), then append record i.
// After each append resolves it prints "acked <i>", the durability promise under test.
import { openNodeStore } from '../src/store/node-store';

const dir = process.argv[2];
if (!dir) throw new Error('usage: crash-writer <dir>');
const store = await openNodeStore(dir);
for (let i = 0; ; i++) {
  const value = new Uint8Array(64 * 1024).fill(i % 251);
  new DataView(value.buffer).setUint32(0, i);
  await store.put('state', value);
  const record = new Uint8Array(8 + (i % 300)).fill(i % 256);
  new DataView(record.buffer).setUint32(0, i);
  await store.append('history', [record]);
  process.stdout.write(`acked ${i}\n`);
}
