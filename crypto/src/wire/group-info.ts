// Group info: name, announcement, avatar and type, readable by members only.
// Byte diagram: docs/PROTOCOL.md "Group info".
//
//   info   = u8 version(=1) || u8 type (1 normal, 2 private) || u16 len || name (UTF-8)
//            || u16 len || announcement (UTF-8) || u16 len || avatar (opaque, e.g. an attachment pointer)
//   sealed = nonce[24] || XChaCha20-Poly1305(groupInfoKey(previous epoch), nonce, info,
//                                            aad = groupId || u32(epoch of the carrying entry))
//
// A group-info entry starting epoch e is sealed under the group-info key of epoch e-1,
// which every member before the entry holds (the key of epoch e depends on the entry).
import { assertBytes, utf8DecodeStrict, utf8Encode } from '../bytes';
import { WireReader, WireWriter } from './codec';

export const GROUP_INFO_VERSION = 1;
export const MAX_GROUP_NAME_BYTES = 300;
export const MAX_ANNOUNCEMENT_BYTES = 8192;
export const MAX_AVATAR_BYTES = 1024;

export const GROUP_TYPE = { normal: 1, private: 2 } as const;
export type GroupType = keyof typeof GROUP_TYPE;

export interface GroupInfo {
  readonly type: GroupType;
  readonly name: string;
  readonly announcement: string;
  readonly avatar: Uint8Array;
}

export function encodeGroupInfo(info: GroupInfo): Uint8Array {
  const type = GROUP_TYPE[info.type];
  if (!type) throw new TypeError('"type" expected "normal" or "private"');
  return new WireWriter(64)
    .u8(GROUP_INFO_VERSION)
    .u8(type)
    .bytes16(utf8Encode(info.name), MAX_GROUP_NAME_BYTES)
    .bytes16(utf8Encode(info.announcement), MAX_ANNOUNCEMENT_BYTES)
    .bytes16(info.avatar, MAX_AVATAR_BYTES)
    .finish();
}

export function decodeGroupInfo(bytes: Uint8Array): GroupInfo {
  assertBytes('bytes', bytes);
  const r: WireReader = new WireReader(bytes, 'group info');
  const version = r.u8('version');
  if (version !== GROUP_INFO_VERSION) r.fail('version', `unsupported version ${version}`);
  const t = r.u8('type');
  if (t !== 1 && t !== 2) r.fail('type', `unknown value ${t}`);
  const name = utf8DecodeStrict(r.bytes16('name', MAX_GROUP_NAME_BYTES));
  if (name === null) r.fail('name', 'not valid UTF-8');
  const announcement = utf8DecodeStrict(r.bytes16('announcement', MAX_ANNOUNCEMENT_BYTES));
  if (announcement === null) r.fail('announcement', 'not valid UTF-8');
  const avatar = r.bytes16('avatar', MAX_AVATAR_BYTES);
  r.end();
  return { type: t === 1 ? 'normal' : 'private', name, announcement, avatar };
}
