// Load process of the crash test: sends messages over one socket and records every
// acknowledgement it receives (seq and client message ID) with a synchronous append,
// until the relay dies. Sends that were in flight when the relay died are written to the
// pending file at exit; the next writer sends them again first, with the same client
// message IDs, as a real client would (the relay must store each exactly once).
// Usage: tsx writer.ts <wsUrl> <tokenHex> <groupIdHex> <epoch> <ackFile> <round> <senderIndex> <pendingFile>
import { closeSync, existsSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import WebSocket from 'ws';
import { bytesToHex, hexToBytes } from '../../../crypto/src/bytes';
import { decodeRelayFrame, encodeClientFrame, FRAME } from '../../../crypto/src/wire/relay-frames';
import { fakeGroupMessage } from '../helpers/log';

const [wsUrl, tokenHex, groupHex, epochStr, ackFile, roundStr, indexStr, pendingFile] = process.argv.slice(2) as [string, string, string, string, string, string, string, string];
const senderIndex = Number(indexStr);
const token = hexToBytes(tokenHex);
const groupId = hexToBytes(groupHex);
const epoch = Number(epochStr);
const round = Number(roundStr);
const fd = openSync(ackFile, 'a');
const WINDOW = 64;
const MAX = 200_000;
let next = 0;

/** Client message ID of message k of a round: u32 round || 0 || u32 k. */
function clientId(r: number, k: number): Uint8Array {
  const id = new Uint8Array(16);
  const v = new DataView(id.buffer);
  v.setUint32(0, r);
  v.setUint32(12, k);
  return id;
}

/** In flight: client ID hex -> [round, k]. */
const inFlight = new Map<string, [number, number]>();
const resend: [number, number][] = existsSync(pendingFile)
  ? readFileSync(pendingFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ').map(Number) as [number, number])
  : [];

const ws = new WebSocket(wsUrl);
function send(r: number, k: number): void {
  const id = clientId(r, k);
  inFlight.set(bytesToHex(id), [r, k]);
  ws.send(encodeClientFrame({ type: FRAME.SEND, clientMessageId: id, groupId, ciphertext: fakeGroupMessage(groupId, epoch, k, 256, senderIndex) }));
}
function sendOne(): void {
  if (ws.readyState !== 1) return;
  const old = resend.shift();
  if (old) return send(old[0], old[1]);
  if (next < MAX) send(round, next++);
}
ws.on('open', () => ws.send(encodeClientFrame({ type: FRAME.AUTH, token })));
ws.on('message', (data: Buffer) => {
  const f = decodeRelayFrame(new Uint8Array(data));
  if (f.type === FRAME.READY) {
    for (let i = 0; i < WINDOW; i++) sendOne();
  } else if (f.type === FRAME.SEND_OK) {
    const id = bytesToHex(f.clientMessageId);
    inFlight.delete(id);
    writeSync(fd, `${f.seq} ${id}${f.duplicate ? ' dup' : ''}\n`);
    sendOne();
  } else if (f.type === FRAME.ERROR) {
    writeSync(fd, `error ${f.code}\n`);
  }
});
const finish = () => {
  closeSync(fd);
  const pending = [...resend, ...inFlight.values()];
  writeFileSync(pendingFile, pending.map(([r, k]) => `${r} ${k}\n`).join(''));
  process.exit(0);
};
ws.on('close', finish);
ws.on('error', finish);
