/**
 * The fixed byte classes of the regex syntax: Perl classes (`\d \w \s`, ASCII, as Rust's crate has them
 * with Unicode off), POSIX bracket names (`[[:alpha:]]`), and the UTF-8 encoding a non-ASCII literal matches.
 */
import { addByte, addRange, byteSetOf, emptyByteSet, type ByteSet } from './byte-set.ts';

export const DIGIT: ByteSet = (() => {
  const set = emptyByteSet();
  addRange(set, 48, 57);
  return set;
})();
export const WORD: ByteSet = (() => {
  const set = emptyByteSet();
  addRange(set, 48, 57);
  addRange(set, 65, 90);
  addRange(set, 97, 122);
  addByte(set, 95);
  return set;
})();
export const SPACE = byteSetOf(9, 10, 11, 12, 13, 32);

export const POSIX: Readonly<Record<string, readonly [number, number][]>> = {
  alnum: [
    [48, 57],
    [65, 90],
    [97, 122],
  ],
  alpha: [
    [65, 90],
    [97, 122],
  ],
  ascii: [[0, 127]],
  blank: [
    [9, 9],
    [32, 32],
  ],
  cntrl: [
    [0, 31],
    [127, 127],
  ],
  digit: [[48, 57]],
  graph: [[33, 126]],
  lower: [[97, 122]],
  print: [[32, 126]],
  punct: [
    [33, 47],
    [58, 64],
    [91, 96],
    [123, 126],
  ],
  space: [
    [9, 13],
    [32, 32],
  ],
  upper: [[65, 90]],
  word: [
    [48, 57],
    [65, 90],
    [97, 122],
    [95, 95],
  ],
  xdigit: [
    [48, 57],
    [65, 70],
    [97, 102],
  ],
};

export function utf8Bytes(code: number): number[] {
  if (code < 0x80) return [code];
  if (code < 0x800) return [0xc0 | (code >> 6), 0x80 | (code & 63)];
  if (code < 0x10000) return [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63)];
  return [0xf0 | (code >> 18), 0x80 | ((code >> 12) & 63), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63)];
}

export function isAsciiPunctuation(code: number): boolean {
  return (
    (code >= 33 && code <= 47) ||
    (code >= 58 && code <= 64) ||
    (code >= 91 && code <= 96) ||
    (code >= 123 && code <= 126)
  );
}
