/**
 * ByteSet: a set of bytes (0–255) as eight 32-bit words, the alphabet unit of the regex automaton. Character
 * classes, `.`, `\d`, literals under `(?i)` all become one ByteSet per matched byte.
 */

export type ByteSet = Uint32Array;

export function emptyByteSet(): ByteSet {
  return new Uint32Array(8);
}

export function byteSetOf(...bytes: number[]): ByteSet {
  const set = emptyByteSet();
  for (const byte of bytes) addByte(set, byte);
  return set;
}

export function addByte(set: ByteSet, byte: number): void {
  set[byte >>> 5] = (set[byte >>> 5] ?? 0) | (1 << (byte & 31));
}

export function addRange(set: ByteSet, from: number, to: number): void {
  for (let byte = from; byte <= to; byte++) addByte(set, byte);
}

export function hasByte(set: ByteSet, byte: number): boolean {
  return ((set[byte >>> 5] ?? 0) & (1 << (byte & 31))) !== 0;
}

export function addAll(set: ByteSet, other: ByteSet): void {
  for (let i = 0; i < 8; i++) set[i] = (set[i] ?? 0) | (other[i] ?? 0);
}

export function complement(set: ByteSet): ByteSet {
  const result = emptyByteSet();
  for (let i = 0; i < 8; i++) result[i] = ~(set[i] ?? 0);
  return result;
}

/** Adds the other case of every ASCII letter in the set (`(?i)`; ASCII only, as bytes are matched). */
export function foldAsciiCase(set: ByteSet): void {
  for (let byte = 65; byte <= 90; byte++) {
    if (hasByte(set, byte) || hasByte(set, byte + 32)) {
      addByte(set, byte);
      addByte(set, byte + 32);
    }
  }
}

export function byteSetKey(set: ByteSet): string {
  return Array.from(set, (word) => (word >>> 0).toString(16)).join(',');
}

export function isWordByte(byte: number): boolean {
  return (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte === 95;
}
