// Validation of key and log names, and their mapping to file names.
//
// File names are case-insensitive on some phones and desktop file systems, and '/' or
// '..' must never reach a path, so every character outside [a-z0-9-] is escaped as
// '_' + 4 hex digits of its UTF-16 code unit. The mapping is injective and reversible.
import { MAX_STORE_NAME_CHARS } from './limits';

export function assertName(argument: string, name: unknown): string {
  if (typeof name !== 'string') throw new TypeError(`"${argument}" expected string, got ${name === null ? 'null' : typeof name}`);
  if (name.length === 0 || name.length > MAX_STORE_NAME_CHARS) {
    throw new RangeError(`"${argument}" expected 1..${MAX_STORE_NAME_CHARS} characters, got ${name.length}`);
  }
  return name;
}

export function assertPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string') throw new TypeError(`"prefix" expected string, got ${typeof prefix}`);
  if (prefix.length > MAX_STORE_NAME_CHARS) throw new RangeError(`"prefix" expected at most ${MAX_STORE_NAME_CHARS} characters`);
  return prefix;
}

export function nameToFile(name: string): string {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d) out += name[i];
    else out += '_' + c.toString(16).padStart(4, '0');
  }
  return out;
}

/** Inverse of nameToFile; null for a file name nameToFile cannot produce (foreign files are ignored). */
export function fileToName(file: string): string | null {
  let out = '';
  for (let i = 0; i < file.length; ) {
    const ch = file[i]!;
    if (ch === '_') {
      const hex = file.slice(i + 1, i + 5);
      if (!/^[0-9a-f]{4}$/.test(hex)) return null;
      out += String.fromCharCode(parseInt(hex, 16));
      i += 5;
    } else if (/[a-z0-9-]/.test(ch)) {
      out += ch;
      i++;
    } else {
      return null;
    }
  }
  return out.length > 0 && out.length <= MAX_STORE_NAME_CHARS ? out : null;
}
