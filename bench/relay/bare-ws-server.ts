// The transport ceiling for the relay bench: a plain `ws` server speaking the same binary
// frames (crypto/src/wire/relay-frames.ts) with no auth check, no persistence and no log:
// AUTH -> READY, RESUME subscribes to the listed groups (CAUGHT_UP), SEND -> SEND_OK to the
// sender and MESSAGE to every other subscriber of the group. Prints its URL on stdout.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { bytesToHex } from '../../crypto/src/bytes';
import { decodeClientFrame, encodeRelayFrame, FRAME } from '../../crypto/src/wire/relay-frames';

interface Sub {
  ws: WebSocket;
  member: Uint8Array;
}
const groups = new Map<string, { seq: number; subs: Set<Sub> }>();
let nextMember = 1;

const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"status":"ok"}');
});
const wss = new WebSocketServer({ server, path: '/v1/ws', perMessageDeflate: false, clientTracking: false, maxPayload: 256 * 1024 });

wss.on('connection', (ws) => {
  const member = new Uint8Array(32);
  new DataView(member.buffer).setUint32(0, nextMember++);
  const sub: Sub = { ws, member };
  const mine: string[] = [];
  ws.on('message', (data: Buffer) => {
    const f = decodeClientFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    switch (f.type) {
      case FRAME.AUTH:
        ws.send(encodeRelayFrame({ type: FRAME.READY, memberId: member, heartbeatMs: 30_000 }));
        return;
      case FRAME.RESUME:
        for (const c of f.cursors) {
          const key = bytesToHex(c.groupId);
          let g = groups.get(key);
          if (!g) groups.set(key, (g = { seq: 0, subs: new Set() }));
          g.subs.add(sub);
          mine.push(key);
          ws.send(encodeRelayFrame({ type: FRAME.CAUGHT_UP, groupId: c.groupId, messageSeq: g.seq, logLength: 0 }));
        }
        return;
      case FRAME.SEND: {
        const g = groups.get(bytesToHex(f.groupId));
        if (!g) return;
        const seq = ++g.seq;
        const frame = encodeRelayFrame({ type: FRAME.MESSAGE, groupId: f.groupId, seq, sender: member, epoch: 0, sentAt: Date.now(), ciphertext: f.ciphertext });
        for (const s of g.subs) if (s !== sub) s.ws.send(frame);
        ws.send(encodeRelayFrame({ type: FRAME.SEND_OK, clientMessageId: f.clientMessageId, groupId: f.groupId, seq, duplicate: false }));
        return;
      }
      case FRAME.PING:
        ws.send(encodeRelayFrame({ type: FRAME.PONG, nonce: f.nonce }));
        return;
      default:
        return;
    }
  });
  ws.on('close', () => {
    for (const key of mine) groups.get(key)?.subs.delete(sub);
  });
});

server.listen(0, '127.0.0.1', () => {
  const port = (server.address() as AddressInfo).port;
  process.stdout.write(`bare-ws listening on ws://127.0.0.1:${port}/v1/ws\n`);
});
process.on('SIGTERM', () => process.exit(0));
