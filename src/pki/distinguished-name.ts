/**
 * Distinguished-name strings for identity fields and forwarded headers.
 *
 * Two styles, both built from the DER-parsed `Name` (never from OpenSSL's or Node's subject strings, see
 * hostile-input.md class 3 and Node.js CVE-2021-44533):
 *
 * - `rfc2253`: RFC 4514 (which obsoletes RFC 2253) string form, most specific RDN first, `,` between RDNs and
 *   `+` inside a multi-valued RDN, no spaces: `CN=James Royal,OU=Access Admins,O=Access,C=US`. The order of the
 *   attributes inside a multi-valued RDN is reversed too, exactly as OpenSSL's `XN_FLAG_RFC2253` prints it
 *   (so, presumably, what Cloudflare's OpenSSL-family edge shows in `cert_subject_dn_rfc2253`; not verified).
 * - `legacy`: OpenSSL's "oneline" form, root first: `/C=US/O=Access/OU=Access Admins/CN=James Royal`. Same as
 *   `openssl x509 -nameopt compat` for plain names; it differs on purpose in escaping (OpenSSL writes `\xXX` and
 *   leaves `\` `,` `"` unescaped, so its form is ambiguous).
 *
 * Escaping (the same for both styles, RFC 4514 §2.4, stricter where it matters for HTTP headers):
 * - `\` before `,` `+` `"` `\` `<` `>` `;`, before `=` (not required by RFC 4514, escaped so no reader can
 *   mistake a value for `type=value`), and in the legacy style before `/` (so no RDN can be injected there);
 * - `\#` for a leading `#`, `\ ` for a leading space, and `\20` for a trailing space (not `\ `: HTTP readers
 *   trim trailing whitespace from header values, which would leave a dangling `\`);
 * - every character outside printable ASCII (controls incl. NUL, CR, LF, DEL, and all non-ASCII) as `\XX`
 *   hex pairs of its UTF-8 bytes; a lone UTF-16 surrogate is written as U+FFFD.
 * So the output is always printable ASCII (0x20-0x7E): it can never break a header or add an RDN.
 *
 * Attribute types: CN, L, ST, O, OU, C, STREET, DC, UID (RFC 4514 §3) and `emailAddress` (PKCS #9, the name
 * OpenSSL prints in both styles; RFC 4514 has no short name for it). Any other type is written as its dotted
 * OID with `#` + hex of the DER value (RFC 4514 §2.4), as is a value that is not a character string.
 * Values of type UTF8String, PrintableString, IA5String, TeletexString (read as Latin-1, like OpenSSL),
 * BMPString and UniversalString are printed as text.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import type { AttributeTypeAndValue, AttributeValue, Name } from '@peculiar/asn1-x509';

export type DistinguishedNameStyle = 'rfc2253' | 'legacy';

const SHORT_NAMES: ReadonlyMap<string, string> = new Map([
  ['2.5.4.3', 'CN'],
  ['2.5.4.7', 'L'],
  ['2.5.4.8', 'ST'],
  ['2.5.4.10', 'O'],
  ['2.5.4.11', 'OU'],
  ['2.5.4.6', 'C'],
  ['2.5.4.9', 'STREET'],
  ['0.9.2342.19200300.100.1.25', 'DC'],
  ['0.9.2342.19200300.100.1.1', 'UID'],
  ['1.2.840.113549.1.9.1', 'emailAddress'],
]);

/** `\XX` for every byte value, uppercase hex as OpenSSL prints it. */
const HEX_ESCAPES: readonly string[] = Array.from({ length: 256 }, (_, b) => '\\' + hex2(b));

function hexEscape(byte: number): string {
  return HEX_ESCAPES[byte] ?? '';
}

// What to do with each ASCII character.
const KEEP = 0;
const BACKSLASH = 1; // `\` + the character
const HEX = 2; // `\XX`
const SPACE = 3; // escaped only when leading or trailing
const NUMBER_SIGN = 4; // escaped only when leading

function charClasses(extraSpecials: string): Uint8Array {
  const table = new Uint8Array(128);
  for (let c = 0; c < 0x20; c++) table[c] = HEX;
  table[0x7f] = HEX;
  for (const ch of ',+"\\<>;=' + extraSpecials) table[ch.charCodeAt(0)] = BACKSLASH;
  table[0x20] = SPACE;
  table[0x23] = NUMBER_SIGN;
  return table;
}

const RFC2253_CLASSES = charClasses('');
const LEGACY_CLASSES = charClasses('/');

/**
 * formatDistinguishedName: the string form of an X.501 Name, in one pass over the values.
 *
 * @example
 * formatDistinguishedName(cert.tbsCertificate.subject, 'rfc2253'); // 'CN=James Royal,O=Access,C=US'
 * formatDistinguishedName(cert.tbsCertificate.subject, 'legacy'); // '/C=US/O=Access/CN=James Royal'
 */
export function formatDistinguishedName(name: Name, style: DistinguishedNameStyle): string {
  const legacy = style === 'legacy';
  const classes = legacy ? LEGACY_CLASSES : RFC2253_CLASSES;
  let out = '';
  for (const rdn of name) {
    let text = '';
    for (const attribute of rdn) {
      const formatted = formatAttribute(attribute, classes);
      // Legacy keeps the encoded order; RFC 2253 reverses RDNs and, like OpenSSL, the attributes inside one.
      if (legacy) text += text === '' ? formatted : '+' + formatted;
      else text = text === '' ? formatted : formatted + '+' + text;
    }
    if (legacy) out += '/' + text;
    else out = out === '' ? text : text + ',' + out;
  }
  return out;
}

function formatAttribute(attribute: AttributeTypeAndValue, classes: Uint8Array): string {
  const shortName = SHORT_NAMES.get(attribute.type);
  const value = attribute.value;
  if (shortName !== undefined) {
    const text = stringValue(value);
    if (text !== undefined) return shortName + '=' + escapeValue(text, classes);
    return shortName + '=' + hexValue(value);
  }
  // Not a recognised type: dotted OID and the DER of the value (RFC 4514 §2.4). asn1js writes OIDs as digits
  // and dots only, so the type needs no escaping.
  return attribute.type + '=' + hexValue(value);
}

/** The text of a character-string value, or undefined for any other ASN.1 type. */
function stringValue(value: AttributeValue): string | undefined {
  return (
    value.utf8String ??
    value.printableString ??
    value.ia5String ??
    value.bmpString ??
    value.universalString ??
    value.teletexString
  );
}

/** `#` + uppercase hex of the DER of the value (the TLV, not only its contents). */
function hexValue(value: AttributeValue): string {
  const der = new Uint8Array(value.anyValue ?? AsnConvert.serialize(value));
  let out = '#';
  for (const byte of der) out += hex2(byte);
  return out;
}

function hex2(byte: number): string {
  return (byte < 16 ? '0' : '') + byte.toString(16).toUpperCase();
}

/**
 * Escapes one attribute value. Runs of characters that need nothing are copied with one `slice`, so the common
 * case (no escaping at all) returns the input string itself without building a new one.
 */
function escapeValue(value: string, classes: Uint8Array): string {
  const last = value.length - 1;
  let out = '';
  let runStart = 0;
  for (let i = 0; i <= last; i++) {
    const c = value.charCodeAt(i);
    let escaped: string;
    let width = 1;
    if (c < 0x80) {
      const kind = classes[c];
      if (kind === KEEP) continue;
      if (kind === BACKSLASH) escaped = '\\' + value.charAt(i);
      else if (kind === HEX) escaped = hexEscape(c);
      else if (kind === SPACE) {
        if (i === last) escaped = '\\20';
        else if (i === 0) escaped = '\\ ';
        else continue;
      } else {
        if (i !== 0) continue;
        escaped = '\\#';
      }
    } else if (c < 0x800) {
      escaped = hexEscape(0xc0 | (c >> 6)) + hexEscape(0x80 | (c & 0x3f));
    } else {
      let codePoint = c;
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = i < last ? value.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          codePoint = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          width = 2;
        } else {
          codePoint = 0xfffd; // lone surrogate: not encodable as UTF-8
        }
      }
      escaped =
        codePoint > 0xffff
          ? hexEscape(0xf0 | (codePoint >> 18)) +
            hexEscape(0x80 | ((codePoint >> 12) & 0x3f)) +
            hexEscape(0x80 | ((codePoint >> 6) & 0x3f)) +
            hexEscape(0x80 | (codePoint & 0x3f))
          : hexEscape(0xe0 | (codePoint >> 12)) +
            hexEscape(0x80 | ((codePoint >> 6) & 0x3f)) +
            hexEscape(0x80 | (codePoint & 0x3f));
    }
    out += value.slice(runStart, i) + escaped;
    runStart = i + width;
    i += width - 1;
  }
  return runStart === 0 ? value : out + value.slice(runStart);
}
