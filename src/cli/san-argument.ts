/**
 * `--san` values of `portcullis cert issue --generate`: a subject alternative name to request, written as
 * openssl writes it (`DNS:`, `URI:`, `email:`, `IP:`, any case) or bare, its kind then read from its form:
 * `scheme://…` or `urn:…` a URI, `a@b` an email address, an IPv4/IPv6 address an IP, anything else a DNS name.
 * The gateway checks each name against the zone's SAN policy; this only types it.
 */
import { isIP } from 'node:net';
import type * as x509 from '@peculiar/x509';
import { GW_ERR_USAGE } from '../errors/index.ts';

const PREFIXES: readonly [string, x509.JsonGeneralName['type']][] = [
  ['dns:', 'dns'],
  ['uri:', 'url'],
  ['email:', 'email'],
  ['ip:', 'ip'],
];

export function parseSanArgument(text: string): x509.JsonGeneralName {
  const value = text.trim();
  for (const [prefix, type] of PREFIXES) {
    if (value.toLowerCase().startsWith(prefix)) return checked(type, value.slice(prefix.length), text);
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value) || /^urn:/i.test(value)) return checked('url', value, text);
  if (isIP(value) !== 0) return checked('ip', value, text);
  if (value.includes('@')) return checked('email', value, text);
  return checked('dns', value, text);
}

function checked(type: x509.JsonGeneralName['type'], value: string, text: string): x509.JsonGeneralName {
  if (!/^[\x21-\x7e]+$/.test(value)) {
    throw GW_ERR_USAGE.create(
      `--san ${JSON.stringify(text)} is not a name (DNS:…, URI:…, email:… or IP:…, in ASCII without spaces)`,
    );
  }
  if (type === 'ip' && isIP(value) === 0) throw GW_ERR_USAGE.create(`--san ${JSON.stringify(text)}: not an IP address`);
  return { type, value };
}
