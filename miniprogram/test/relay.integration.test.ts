// First contact with a real relay from inside the logic-layer sandbox: the bundled wire
// module and noble core log in over wx.request (ArrayBuffer bodies and responses) and
// authenticate a wx.connectSocket SocketTask, against a relay on 127.0.0.1.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../../crypto/src/bytes';
import { memberIdOf } from '../../crypto/src/identity/member-id';
import { createPrimitives } from '../../crypto/src/primitives/index';
import { nobleBackend } from '../../crypto/src/primitives/noble';
import { startTestRelay, type TestRelay } from '../../relay/test/helpers/relay';
import { sdkBundle } from './bundle';
import { createLogicLayerSandbox, type LogicLayerSandbox } from './sandbox';

let relay: TestRelay;
let bundleCode = '';
const open: LogicLayerSandbox[] = [];

beforeAll(async () => {
  bundleCode = (await sdkBundle()).code;
  relay = await startTestRelay();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await relay.cleanup();
});

/** In-sandbox helpers: wx.request as a Promise, bytes <-> exact ArrayBuffer. */
const HELPERS = `
  function toBuffer(bytes) { return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength); }
  function post(url, bytes, token) {
    return new Promise(function (resolve, reject) {
      var header = { 'content-type': 'application/octet-stream' };
      if (token) header.authorization = 'Bearer ' + sdk.bytesToHex(token);
      wx.request({ url: url, method: 'POST', data: toBuffer(bytes), header: header, responseType: 'arraybuffer',
        success: function (r) { resolve({ status: r.statusCode, bytes: new Uint8Array(r.data) }); },
        fail: function (e) { reject(new Error(e.errMsg)); } });
    });
  }
`;

describe('the bundle against a real relay on loopback', () => {
  it('logs in over wx.request and authenticates a SocketTask (READY names the same member ID)', async () => {
    const s = createLogicLayerSandbox();
    open.push(s);
    s.context.sdk = s.loadModule(bundleCode);
    const result = await s.run<Promise<Record<string, unknown>>>(`(async function () {
      ${HELPERS}
      var rt = await sdk.startCrypto();
      var p = rt.primitives;
      var seed = p.randomBytes(32);
      var identityKey = p.ed25519PublicKey(seed);
      var ch = await post('${relay.httpUrl}/v1/auth/challenge', sdk.encodeAuthChallengeRequest({ identityKey: identityKey }));
      var challenge = sdk.decodeAuthChallengeResponse(ch.bytes).challenge;
      var signature = sdk.signRelayAuthChallenge(p, seed, challenge);
      var session = await post('${relay.httpUrl}/v1/auth/session', sdk.encodeAuthSessionRequest({ challenge: challenge, signature: signature }));
      var answer = sdk.decodeAuthSessionResponse(session.bytes);
      var replay = await post('${relay.httpUrl}/v1/auth/session', sdk.encodeAuthSessionRequest({ challenge: challenge, signature: signature }));
      var frames = await new Promise(function (resolve) {
        var seen = [];
        var task = wx.connectSocket({ url: '${relay.wsUrl}' });
        task.onOpen(function () { task.send({ data: toBuffer(sdk.encodeClientFrame({ type: sdk.FRAME.AUTH, token: answer.token })) }); });
        task.onMessage(function (m) {
          var f = sdk.decodeRelayFrame(new Uint8Array(m.data));
          seen.push(f.type === sdk.FRAME.READY ? 'READY:' + sdk.bytesToHex(f.memberId) : 'frame:' + f.type);
          task.close({ code: 1000 });
        });
        task.onClose(function () { resolve(seen); });
        task.onError(function (e) { seen.push('error:' + e.errMsg); resolve(seen); });
      });
      return { challengeStatus: ch.status, sessionStatus: session.status, replayStatus: replay.status,
        memberId: sdk.bytesToHex(answer.memberId), identityKey: sdk.bytesToHex(identityKey), frames: frames };
    })()`);
    expect(result.challengeStatus).toBe(200);
    expect(result.sessionStatus).toBe(200);
    expect(result.replayStatus).toBe(401); // a challenge answers once
    const p = createPrimitives(nobleBackend, () => {
      throw new Error('no randomness needed');
    });
    const expectedMember = bytesToHex(memberIdOf(p, hexToBytes(result.identityKey as string)));
    expect(result.memberId).toBe(expectedMember);
    expect(result.frames).toEqual([`READY:${expectedMember}`]);
  });

  it('a socket that sends a bad token is closed by the relay with the auth-failed code', async () => {
    const s = createLogicLayerSandbox();
    open.push(s);
    s.context.sdk = s.loadModule(bundleCode);
    const code = await s.run<Promise<number>>(`new Promise(function (resolve) {
      var task = wx.connectSocket({ url: '${relay.wsUrl}' });
      var token = new Uint8Array(32);
      task.onOpen(function () { task.send({ data: sdk.encodeClientFrame({ type: sdk.FRAME.AUTH, token: token }).buffer }); });
      task.onClose(function (e) { resolve(e.code); });
    })`);
    expect(code).toBe(4401);
  });
});
