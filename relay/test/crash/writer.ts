// Load process of the crash test: sends messages over one socket and records every
// acknowledgement it receives (seq and client message ID) with a synchronous append,
// until the relay dies. Usage: tsx writer.ts <wsUrl> <tokenHex> <groupIdHex> <epoch> <ackFile> <round> <senderIndex>
import { closeSync, openSync, writeSync } from 'node:fs';
import WebSocket from 'ws';
import { bytesToHex, hexToBytes } from '../../../crypto/src/bytes';
import { decodeRelayFrame, encodeClientFrame, FRAME } from '../../../crypto/src/wire/relay-frames';
import { fakeGroupMessage } from '../helpers/log';

const [wsUrl, tokenHex, groupHex, epochStr, ackFile, roundStr, indexStr] = process.argv.slice(2) as [string, string, string, string, string, string, string];
const senderIndex = Number(indexStr);
const token = hexToBytes(tokenHex);
const groupId = hexToBytes(groupHex);
const epoch = Number(epochStr);
const round = Number(roundStr);
const fd = openSync(ackFile, 'a');
const WINDOW = 64;
const MAX = 200_000;
let next = 0;

function clientId(k: number): Uint8Array {
  const id = new Uint8Array(16);
  const v = new DataView(id.buffer);
  v.setUint32(0, round);
  v.setUint32(12, k);
  return id;
}

const ws = new WebSocket(wsUrl);
function sendOne(): void {
  if (next >= MAX || ws.readyState !== 1) return;
  const k = next++;
  ws.send(encodeClientFrame({ type: FRAME.SEND, clientMessageId: clientId(k), groupId, ciphertext: fakeGroupMessage(groupId, epoch, k, 256, senderIndex) }));
}
ws.on('open', () => ws.send(encodeClientFrame({ type: FRAME.AUTH, token })));
ws.on('message', (data: Buffer) => {
  const f = decodeRelayFrame(new Uint8Array(data));
  if (f.type === FRAME.READY) {
    for (let i = 0; i < WINDOW; i++) sendOne();
  } else if (f.type === FRAME.SEND_OK) {
    writeSync(fd, `${f.seq} ${bytesToHex(f.clientMessageId)}\n`);
    sendOne();
  } else if (f.type === FRAME.ERROR) {
    writeSync(fd, `error ${f.code}\n`);
  }
});
const finish = () => {
  closeSync(fd);
  process.exit(0);
};
ws.on('close', finish);
ws.on('error', finish);
