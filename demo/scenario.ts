// The scripted conversation of `npm run demo`. Every member is its own process (demo/member.ts)
// with its own device keys and local store; this orchestrator only tells each one what to do
// and prints what each one reports. The relay is its own process too (or one you point at).
//
//   1. a group is created; members join by member ID and by invite link
//   2. Chinese chat with emoji; a phone number is masked on the sender's device
//   3. a photo with an Exif GPS position: every receiver gets it without the position
//   4. a poll: votes and the tally each member computes
//   5. a kick: the kicked member tries to read what follows (own client, relay fetch, and the
//      raw ciphertexts a colluding relay would hand over) and gets nothing
//   6. what each member saw
//   7. a scan of every file the relay wrote for every plaintext (after finding a planted control)
import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hexToBytes } from '../crypto/src/bytes';
import { stripImageMetadata } from '../crypto/src/attachment/image-metadata';
import { nodeRandom } from '../crypto/src/primitives/random';
import { loadDefaultPrimitives } from '../crypto/src/primitives/select';
import { plantControl } from './control';
import { MemberProcess, type EventMessage } from './ipc';
import { formatGps, makeJpegWithGps, readJpegGps } from './jpeg';
import type { MemberOps, SeenMessage } from './protocol';
import { startRelayProcess, type RelayProcess } from './relay-process';
import { describeFiles, scanRelayFiles } from './scan';
import { Transcript } from './transcript';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MEMBER_SCRIPT = join(ROOT, 'demo', 'member.ts');

export const NAMES = { owner: '王秀兰', b: '李建国', c: '张晓明', kicked: '赵丽娜' } as const;
export const GROUP_NAME = '仁和医院糖友互助群';
export const PHONE = '13812345678';
export const MASKED_PHONE = '138****5678';
export const PHOTO_GPS = { lat: 39.9087, lon: 116.3975 };
export const TEXTS = {
  welcome: '大家好！欢迎加入糖友互助群 😊 下周三上午九点内分泌科有免费讲座。',
  phone: `我的手机号是${PHONE}，讲座有变动请打电话告诉我`,
  caption: '今天的血糖记录，在公园拍的',
  pollQuestion: '讲座后聚餐选哪天？',
  pollOptions: ['周三中午', '周四晚上', '周六中午'],
  afterKick1: '赵丽娜已经不在群里了。私下说一句：我最近糖化血红蛋白到了9.1，医生让我加胰岛素',
  afterKick2: '收到，周三见面细聊，别太担心',
} as const;
export const CONTROL = 'CONTROL-演示控制串-wxe2ee-demo-7f3a';

export interface DemoOptions {
  /** Use a running relay instead of starting one (its files are scanned only with `relayDataDir`). */
  relayUrl?: string;
  relayDataDir?: string;
  /** Where the relay and the members keep their files; a temp dir (deleted at the end) when absent. */
  dataDir?: string;
  /** Keep the data directory of a temp run. */
  keep?: boolean;
  /** Transcript output (stdout by default). */
  write?: (text: string) => void;
  /** Member diagnostics (stderr lines of the member processes). */
  diagnostics?: (line: string) => void;
}

export interface DemoResult {
  ok: boolean;
  transcript: Transcript;
  dataDir: string;
}

type Op = keyof MemberOps;

class Member {
  id = '';
  constructor(
    readonly name: string,
    readonly proc: MemberProcess,
  ) {}

  call<K extends Op>(op: K, ...args: Parameters<MemberOps[K]>): ReturnType<MemberOps[K]> {
    // Generous: on a loaded 2-core machine a member's first call loads the whole SDK.
    return this.proc.call(op, args, op === 'start' ? 90_000 : 45_000) as ReturnType<MemberOps[K]>;
  }

  messagesIn(groupId: string): SeenMessage[] {
    return this.proc.events.filter((e) => e.event === 'message' && (e.data as SeenMessage).groupId === groupId).map((e) => e.data as SeenMessage);
  }

  waitMessage(groupId: string, pred: (m: SeenMessage) => boolean, what: string, timeoutMs = 30_000): Promise<SeenMessage> {
    return this.proc.waitForEvent<SeenMessage>((e: EventMessage) => e.event === 'message' && (e.data as SeenMessage).groupId === groupId && pred(e.data as SeenMessage), timeoutMs, what);
  }

  waitEvent<T>(event: string, groupId: string, timeoutMs = 30_000): Promise<T> {
    return this.proc.waitForEvent<T>((e) => e.event === event && (e.data as { groupId?: string }).groupId === groupId, timeoutMs, `a ${event} event`);
  }
}

const short = (hex: string) => hex.slice(0, 8);
const quote = (s: string) => `"${s}"`;

export async function runDemo(opts: DemoOptions = {}): Promise<DemoResult> {
  const t = new Transcript(opts.write);
  const temp = !opts.dataDir;
  const dataDir = opts.dataDir ? resolve(opts.dataDir) : mkdtempSync(join(tmpdir(), 'wxe2ee-demo-'));
  mkdirSync(dataDir, { recursive: true });
  let relay: RelayProcess | undefined;
  const members: Member[] = [];
  let ok = false;
  try {
    // --- members (spawned first: they load the SDK while the relay starts) ---------
    for (const name of [NAMES.owner, NAMES.b, NAMES.c, NAMES.kicked]) {
      const dir = join(dataDir, 'members', name);
      const proc = MemberProcess.spawn(name, MEMBER_SCRIPT, ['--name', name, '--data', dir], {
        cwd: ROOT,
        onStderr: (line) => opts.diagnostics?.(`[${name}] ${line}`),
      });
      members.push(new Member(name, proc));
    }

    // --- relay ------------------------------------------------------------------
    t.section('relay');
    let httpUrl: string;
    let relayDir: string | undefined;
    if (opts.relayUrl) {
      httpUrl = opts.relayUrl.replace(/\/+$/, '');
      relayDir = opts.relayDataDir;
      t.note(`using the relay at ${httpUrl}${relayDir ? `, its files in ${relayDir}` : ' (its files are not scanned: pass --relay-data-dir)'}`);
    } else {
      relayDir = join(dataDir, 'relay');
      relay = await startRelayProcess(ROOT, relayDir, 90_000);
      httpUrl = relay.httpUrl;
      t.note(`relay started as its own process (pid ${relay.pid}) on ${relay.httpUrl}, SQLite in ${relayDir}`);
    }

    t.section('four members, four processes, four devices');
    await Promise.all(
      members.map(async (m) => {
        m.id = (await m.call('start', httpUrl)).memberId;
      }),
    );
    for (const m of members) t.act(m.name, `device keys created in its own process (pid ${m.proc.pid}), member ID ${short(m.id)}…`);
    const [owner, b, c, kicked] = members as [Member, Member, Member, Member];

    // --- group -------------------------------------------------------------------
    t.section('create the group and invite');
    const { groupId } = await owner.call('createGroup', GROUP_NAME, 'private');
    t.act(owner.name, `creates private group ${quote(GROUP_NAME)} (ID ${short(groupId)}…; the name travels only inside the encrypted group info)`);
    for (const m of [b, c]) {
      await owner.call('invite', groupId, m.id);
      t.act(owner.name, `invites ${m.name} by member ID ${short(m.id)}…`);
      const joined = await m.waitEvent<{ name: string }>('joined', groupId);
      t.saw(m.name, `joined ${quote(joined.name)}`);
    }
    const { link } = await owner.call('createInviteLink', groupId);
    t.act(owner.name, `shares an invite link: ${link.slice(0, 40)}…`);
    await kicked.call('join', link);
    t.act(kicked.name, 'asks to join with the link (the request is sealed under the link secret; the open join policy lets an online member admit it)');
    const joinedByLink = await kicked.waitEvent<{ name: string }>('joined', groupId, 30_000);
    t.saw(kicked.name, `joined ${quote(joinedByLink.name)}`);
    const roster = await owner.call('members', groupId);
    t.check(roster.length === 4 && members.every((m) => roster.includes(m.id)), `the group has the 4 members (${roster.length})`);

    // --- chat --------------------------------------------------------------------
    t.section('chat in Chinese; a phone number is masked before it is encrypted');
    await owner.call('sendText', groupId, TEXTS.welcome);
    t.act(owner.name, `sends ${quote(TEXTS.welcome)}`);
    for (const m of [b, c, kicked]) {
      const got = await m.waitMessage(groupId, (x) => x.text === TEXTS.welcome, 'the welcome message');
      t.saw(m.name, `${owner.name}: ${quote(got.text)}`);
    }
    const sent = await b.call('sendText', groupId, TEXTS.phone);
    t.act(b.name, `types ${quote(TEXTS.phone)}`);
    t.note(`${b.name}'s device sends ${quote(sent.sentText)}`);
    t.check(sent.sentText.includes(MASKED_PHONE) && !sent.sentText.includes(PHONE), `the number left ${b.name}'s device masked as ${MASKED_PHONE}`);
    for (const m of [owner, c, kicked]) {
      const got = await m.waitMessage(groupId, (x) => x.sender === b.id && x.seq > 0 && x.text.includes('手机号'), 'the phone message');
      t.saw(m.name, `${b.name}: ${quote(got.text)}`);
      t.check(got.text.includes(MASKED_PHONE) && !got.text.includes(PHONE), `${m.name} sees only ${MASKED_PHONE}`);
    }

    // --- photo -------------------------------------------------------------------
    t.section('a photo with its GPS position in the Exif block');
    const photo = makeJpegWithGps(PHOTO_GPS);
    const gps = readJpegGps(photo)!;
    const image = await c.call('sendImage', groupId, photo, 'IMG_20261126_0930.jpg', TEXTS.caption);
    t.act(c.name, `sends a photo (${photo.length} bytes, Exif GPS ${formatGps(gps)}) with the caption ${quote(TEXTS.caption)}`);
    for (const m of [owner, b, kicked]) {
      const got = await m.waitMessage(groupId, (x) => x.type === 'image', 'the photo');
      const bytes = await m.call('downloadImage', groupId, got.messageId);
      const pos = readJpegGps(bytes);
      t.saw(m.name, `${c.name}: [photo ${bytes.length} bytes] ${quote(got.text)}; GPS in the file: ${pos ? formatGps(pos) : 'none'}`);
      t.check(pos === null && bytes.length < photo.length, `${m.name}'s copy has no GPS position`);
    }

    // --- poll --------------------------------------------------------------------
    t.section('a poll');
    const { pollId } = await owner.call('createPoll', groupId, TEXTS.pollQuestion, [...TEXTS.pollOptions]);
    t.act(owner.name, `opens a poll ${quote(TEXTS.pollQuestion)}: ${TEXTS.pollOptions.join(' / ')}`);
    const votes: [Member, number][] = [
      [b, 0],
      [c, 0],
      [kicked, 2],
    ];
    for (const [m] of votes) await m.waitMessage(groupId, (x) => x.type === 'poll', 'the poll');
    for (const [m, option] of votes) {
      await m.call('vote', groupId, pollId, option);
      t.act(m.name, `votes ${quote(TEXTS.pollOptions[option]!)}`);
    }
    const expected = [2, 0, 1];
    for (const m of [owner, b]) {
      let tally = await m.call('pollTally', groupId, pollId);
      for (let i = 0; i < 50 && tally.voters < 3; i++) {
        await new Promise((r) => setTimeout(r, 100));
        tally = await m.call('pollTally', groupId, pollId);
      }
      t.saw(m.name, `tally: ${tally.options.map((o) => `${o.text} ${o.votes}`).join(', ')} (${tally.voters} voters)`);
      t.check(tally.options.map((o) => o.votes).join() === expected.join(), `${m.name}'s tally is ${expected.join('/')}`);
    }

    // --- kick --------------------------------------------------------------------
    t.section(`${NAMES.kicked} is removed`);
    const lastSeqBeforeKick = relayDir ? lastStoredSeq(join(relayDir, 'relay.sqlite'), groupId) : 0;
    await owner.call('kick', groupId, kicked.id);
    t.act(owner.name, `removes ${kicked.name}: a fresh group secret is sealed to the 3 remaining members only`);
    await kicked.waitEvent('removed', groupId);
    t.saw(kicked.name, 'the relay told its client it was removed');
    await b.call('sendText', groupId, TEXTS.afterKick1);
    t.act(b.name, `sends ${quote(TEXTS.afterKick1)}`);
    await owner.call('sendText', groupId, TEXTS.afterKick2);
    t.act(owner.name, `sends ${quote(TEXTS.afterKick2)}`);
    for (const m of [owner, c]) {
      const got = await m.waitMessage(groupId, (x) => x.text === TEXTS.afterKick1, 'the first message after the kick');
      t.saw(m.name, `${b.name}: ${quote(got.text)}`);
    }
    await b.waitMessage(groupId, (x) => x.text === TEXTS.afterKick2, 'the second message after the kick');
    t.saw(b.name, `${owner.name}: ${quote(TEXTS.afterKick2)}`);

    // What a colluding relay could hand the kicked member: the stored ciphertexts.
    const leaked = relayDir ? readStoredCiphertexts(join(relayDir, 'relay.sqlite'), groupId, lastSeqBeforeKick) : [];
    await new Promise((r) => setTimeout(r, 500)); // give a wrongly delivered message time to show up
    const attempt = await kicked.call('tryToRead', groupId, leaked);
    t.act(kicked.name, 'tries to read what was sent after the kick:');
    t.note(`its own client delivered ${attempt.delivered} message(s) from the group after the kick`);
    t.note(attempt.fetch.refused ? `fetching the group's messages from the relay: refused (${attempt.fetch.code})` : `fetching the group's messages from the relay returned ${attempt.fetch.count} message(s)`);
    if (leaked.length) {
      t.note(`given the ${leaked.length} stored ciphertext(s) by a colluding relay, it decrypts with every key it kept (up to epoch ${attempt.keptEpoch ?? 'none'}):`);
      for (const d of attempt.decrypt) t.note(`  seq ${d.seq} (epoch ${d.epoch}): ${d.ok ? `READ ${quote(d.text ?? '')}` : `cannot decrypt (${d.code})`}`);
    }
    t.check(attempt.delivered === 0, `${kicked.name}'s client received nothing after the kick`);
    t.check(attempt.fetch.refused, `the relay refuses ${kicked.name}'s fetch`);
    t.check(leaked.length === 0 || (attempt.decrypt.length === leaked.length && attempt.decrypt.every((d) => !d.ok)), `${kicked.name} cannot decrypt the ciphertexts sent after the kick`);
    t.check(!kicked.messagesIn(groupId).some((m) => m.text === TEXTS.afterKick1 || m.text === TEXTS.afterKick2), `no post-kick text appears anywhere in ${kicked.name}'s process`);
    // The kick must stick: nobody's client may admit the removed member again (e.g. from her old join request).
    const removedAt = kicked.proc.events.findIndex((e) => e.event === 'removed');
    const rejoined = kicked.proc.events.slice(removedAt + 1).some((e) => e.event === 'joined' && (e.data as { groupId: string }).groupId === groupId);
    const rosters = await Promise.all([owner, b, c].map((m) => m.call('members', groupId)));
    t.check(!rejoined && rosters.every((r) => !r.includes(kicked.id)), `${kicked.name} stays removed on every roster (${rosters.map((r) => r.length).join('/')} members)`);

    // --- what each member saw ------------------------------------------------------
    t.section('what each member has in its local history');
    for (const m of members) {
      const hist = await m.call('history', groupId);
      t.saw(m.name, `${hist.length} messages:`);
      for (const h of hist) {
        const who = members.find((x) => x.id === h.sender)?.name ?? short(h.sender);
        t.note(`#${h.seq} ${who}: ${h.type === 'text' ? '' : `[${h.type}] `}${h.text}`);
      }
    }

    // --- scan ----------------------------------------------------------------------
    if (relayDir) {
      t.section("scan of the relay's files");
      const controlEncodings = await plantControl(await loadDefaultPrimitives(nodeRandom), httpUrl, CONTROL);
      t.note(`control string planted through the relay in the clear: ${controlEncodings.join(', ')}`);
      for (const m of members) await m.proc.stop();
      const needles = scanNeedles(photo);
      const scan = (when: string) => {
        const report = scanRelayFiles({ dir: relayDir!, control: CONTROL, controlEncodings, needles });
        t.note(`${when}: ${describeFiles(report.files)}`);
        const found = [...new Set(report.control.map((f) => `${f.encoding} in ${f.file.slice(relayDir!.length + 1)}`))];
        t.check(report.controlMissed.length === 0, `control found first (${found.length} hits: ${found.slice(0, 6).join('; ')}${found.length > 6 ? '; …' : ''})`);
        for (const leak of report.leaks) t.check(false, `LEAK: ${leak.label} as ${leak.finding.encoding} in ${leak.finding.file}`);
        t.check(report.leaks.length === 0, `none of the ${needles.length} plaintexts is in the relay's files, in UTF-8, UTF-16LE, hex or base64`);
      };
      scan('while the relay runs (database, -wal, -shm, blobs, log)');
      if (relay) {
        await relay.stop();
        relay = undefined;
        scan('after the relay stopped and checkpointed its WAL');
      }
    }
    ok = t.failures.length === 0;
  } catch (e) {
    t.check(false, `the demo stopped: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    await Promise.all(members.map((m) => m.proc.stop().catch(() => undefined)));
    await relay?.stop().catch(() => undefined);
    t.section(ok ? 'demo passed' : `demo FAILED (${t.failures.length} failed check${t.failures.length === 1 ? '' : 's'})`);
    if (temp && !opts.keep) rmSync(dataDir, { recursive: true, force: true });
    else t.note(`files kept in ${dataDir}`);
  }
  return { ok, transcript: t, dataDir };
}

/** Every plaintext of the demo, labelled for the report. */
export function scanNeedles(photo: Uint8Array): { label: string; value: string | Uint8Array }[] {
  const stripped = stripImageMetadata(photo).bytes;
  return [
    { label: 'group name', value: GROUP_NAME },
    { label: 'welcome text', value: TEXTS.welcome },
    { label: 'welcome fragment', value: '内分泌科有免费讲座' },
    { label: 'phone number', value: PHONE },
    { label: 'masked phone message', value: `我的手机号是${MASKED_PHONE}` },
    { label: 'photo caption', value: TEXTS.caption },
    { label: 'photo file name', value: 'IMG_20261126_0930' },
    { label: 'photo as sent', value: stripped },
    { label: 'photo with Exif', value: photo },
    { label: 'poll question', value: TEXTS.pollQuestion },
    ...TEXTS.pollOptions.map((o, i) => ({ label: `poll option ${i + 1}`, value: o })),
    { label: 'message after the kick', value: TEXTS.afterKick1 },
    { label: 'medical detail', value: '糖化血红蛋白到了9.1' },
    { label: 'second message after the kick', value: TEXTS.afterKick2 },
    ...Object.values(NAMES).map((n) => ({ label: `member name ${n}`, value: n })),
  ];
}

/** The highest message sequence number the relay has stored for the group. */
function lastStoredSeq(dbFile: string, groupIdHex: string): number {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const gid = Buffer.from(hexToBytes(groupIdHex));
    const row = db
      .prepare('SELECT max(m.seq) AS seq FROM messages m JOIN groups g ON g.id = m.group_ref WHERE substr(g.group_id, 1, ?) = ?')
      .get(gid.length, gid) as { seq: number | null } | undefined;
    return row?.seq ?? 0;
  } finally {
    db.close();
  }
}

/** Ciphertexts the relay stores for the group after `afterSeq`, read straight from its database. */
function readStoredCiphertexts(dbFile: string, groupIdHex: string, afterSeq: number): { seq: number; body: Uint8Array }[] {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const gid = Buffer.from(hexToBytes(groupIdHex));
    const rows = db
      .prepare('SELECT m.seq AS seq, m.body AS body FROM messages m JOIN groups g ON g.id = m.group_ref WHERE substr(g.group_id, 1, ?) = ? AND m.seq > ? ORDER BY m.seq')
      .all(gid.length, gid, afterSeq) as { seq: number; body: Buffer }[];
    return rows.map((r) => ({ seq: r.seq, body: new Uint8Array(r.body) }));
  } finally {
    db.close();
  }
}
