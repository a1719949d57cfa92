/**
 * The character classes of HTTP fields (RFC 9110 §5.5, §5.6.2), one definition for both directions:
 * the request head we write and the response heads we parse. Char codes above 0xFF (possible only in
 * JavaScript strings, never in latin1-decoded bytes) are outside every class.
 */

/** tchar (RFC 9110 §5.6.2), indexed by char code: methods, field names, chunk-extension names. */
export const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") {
  TCHAR[c.charCodeAt(0)] = 1;
}

/** field-vchar / SP / HTAB (RFC 9110 §5.5): everything but CTLs and DEL; obs-text (0x80-0xFF) is allowed. */
export function isFieldValueChar(c: number): boolean {
  return c >= 0x20 ? c !== 0x7f && c <= 0xff : c === 0x09;
}

/** A non-empty token (RFC 9110 §5.6.2). */
export function isToken(text: string): boolean {
  if (text.length === 0) return false;
  for (let index = 0; index < text.length; index++) {
    if (TCHAR[text.charCodeAt(index)] !== 1) return false;
  }
  return true;
}

/** A field value made only of field-value characters (empty allowed; RFC 9110 §5.5). */
export function isFieldValue(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    if (!isFieldValueChar(text.charCodeAt(index))) return false;
  }
  return true;
}
