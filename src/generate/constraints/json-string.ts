import type { StringNode } from './json-schema-nodes.js';

/*
 * The inside of a JSON string as a tiny byte machine over (count, mode): `count` code points written so far and
 * `mode`, a small integer for what the next byte must be. Kept free of allocations because the vocabulary walk
 * runs it for every trie node inside a string (most of a 150k vocabulary).
 */

/** Modes. PLAIN: at a character boundary, no escape open. */
export const PLAIN = 0;
const AFTER_BACKSLASH = 1;
/** \u seen; HEX_1..HEX_4 expect hex digit 1..4. HEX_2_AFTER_D: the first was d/D, so the second must be 0-7
 * (\uD800-\uDFFF alone would be half a surrogate pair). */
const HEX_1 = 2;
const HEX_2 = 3;
const HEX_2_AFTER_D = 4;
const HEX_3 = 5;
const HEX_4 = 6;
/** UTF-8 continuation bytes due: CONT_n = n more in 80..BF; the *_E0 / _ED / _F0 / _F4 modes narrow the first one
 * to exclude overlong forms, surrogates and code points above U+10FFFF. */
const CONT_1 = 7;
const CONT_2 = 8;
const CONT_3 = 9;
const CONT_2_E0 = 10;
const CONT_2_ED = 11;
const CONT_3_F0 = 12;
const CONT_3_F4 = 13;

/** Bytes still due before the string can close, by mode. */
export const PENDING_BYTES: readonly number[] = [0, 1, 4, 3, 3, 2, 1, 1, 2, 3, 2, 2, 3, 3];

/** stringByte result: the byte is not allowed. */
export const STRING_REJECT = -1;
/** stringByte result: the byte is the closing quote. */
export const STRING_CLOSED = -2;
/** Modes fit in 4 bits: a continuing result is (count << MODE_BITS) | mode. */
export const MODE_BITS = 4;
export const MODE_MASK = (1 << MODE_BITS) - 1;

const isHex = (b: number): boolean => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
const SIMPLE_ESCAPE = new Uint8Array(256);
for (const c of '"\\/bfnrt') SIMPLE_ESCAPE[c.charCodeAt(0)] = 1;

const next = (count: number, mode: number): number => (count << MODE_BITS) | mode;

/** One byte inside a string of `node`: STRING_REJECT, STRING_CLOSED, or the next (count << MODE_BITS) | mode. */
export function stringByte(node: StringNode, count: number, mode: number, byte: number): number {
  switch (mode) {
    case PLAIN:
      // the common case first: printable ASCII other than '"' and '\'
      if (byte >= 0x20 && byte < 0x80 && byte !== 0x22 && byte !== 0x5c) return count < node.maxLength ? next(count + 1, PLAIN) : STRING_REJECT;
      if (byte === 0x22) return count >= node.minLength ? STRING_CLOSED : STRING_REJECT;
      if (byte < 0x20 || count >= node.maxLength) return STRING_REJECT;
      if (byte === 0x5c) return next(count + 1, AFTER_BACKSLASH);
      if (byte < 0x80) return next(count + 1, PLAIN);
      if (byte >= 0xc2 && byte <= 0xdf) return next(count + 1, CONT_1);
      if (byte === 0xe0) return next(count + 1, CONT_2_E0);
      if (byte === 0xed) return next(count + 1, CONT_2_ED);
      if (byte >= 0xe1 && byte <= 0xef) return next(count + 1, CONT_2);
      if (byte === 0xf0) return next(count + 1, CONT_3_F0);
      if (byte >= 0xf1 && byte <= 0xf3) return next(count + 1, CONT_3);
      if (byte === 0xf4) return next(count + 1, CONT_3_F4);
      return STRING_REJECT;
    case AFTER_BACKSLASH:
      if (SIMPLE_ESCAPE[byte] === 1) return next(count, PLAIN);
      return byte === 0x75 /* u */ ? next(count, HEX_1) : STRING_REJECT;
    case HEX_1:
      if (!isHex(byte)) return STRING_REJECT;
      return next(count, byte === 0x64 || byte === 0x44 ? HEX_2_AFTER_D : HEX_2);
    case HEX_2_AFTER_D:
      return byte >= 0x30 && byte <= 0x37 ? next(count, HEX_3) : STRING_REJECT;
    case HEX_2:
      return isHex(byte) ? next(count, HEX_3) : STRING_REJECT;
    case HEX_3:
      return isHex(byte) ? next(count, HEX_4) : STRING_REJECT;
    case HEX_4:
      return isHex(byte) ? next(count, PLAIN) : STRING_REJECT;
    case CONT_1:
      return byte >= 0x80 && byte <= 0xbf ? next(count, PLAIN) : STRING_REJECT;
    case CONT_2:
      return byte >= 0x80 && byte <= 0xbf ? next(count, CONT_1) : STRING_REJECT;
    case CONT_3:
      return byte >= 0x80 && byte <= 0xbf ? next(count, CONT_2) : STRING_REJECT;
    case CONT_2_E0:
      return byte >= 0xa0 && byte <= 0xbf ? next(count, CONT_1) : STRING_REJECT;
    case CONT_2_ED:
      return byte >= 0x80 && byte <= 0x9f ? next(count, CONT_1) : STRING_REJECT;
    case CONT_3_F0:
      return byte >= 0x90 && byte <= 0xbf ? next(count, CONT_2) : STRING_REJECT;
    case CONT_3_F4:
      return byte >= 0x80 && byte <= 0x8f ? next(count, CONT_2) : STRING_REJECT;
    default:
      throw new Error(`json string: unknown mode ${mode}`);
  }
}

/** Bytes a string needs from (count, mode) to close: pending escape/UTF-8 bytes, missing characters, the quote. */
export const stringMinBytes = (node: StringNode, count: number, mode: number): number =>
  PENDING_BYTES[mode]! + Math.max(0, node.minLength - count) + 1;
