/**
 * The subject alternative names a CSR asks for: the subjectAltName extension (RFC 5280 §4.2.1.6) inside the
 * PKCS #9 extensionRequest attribute (RFC 2985 §5.4.2) of a PKCS #10 request (RFC 2986 §4.1). Every name is
 * returned, whatever its kind, so the SAN policy (san-policy.ts) decides about each one and nothing is dropped
 * unseen. Other requested extensions (key usages, basic constraints…) stay ignored: the CA decides those.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { Attribute, Extensions } from '@peculiar/asn1-x509';
import { RawGeneralNames, type RawGeneralName } from './general-names.ts';
import { MAX_REQUESTED_SANS } from './san-policy.ts';

const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const SUBJECT_ALT_NAME = '2.5.29.17';

export type RequestedSanKind = 'dns' | 'email' | 'uri' | 'ip' | 'other';

export interface RequestedSan {
  readonly kind: RequestedSanKind;
  /** The name as text: the IA5String, an IP address in its usual notation, or a description of other kinds. */
  readonly value: string;
}

/** Reads the requested SANs from a CSR's attributes. Throws an Error with the reason when they are malformed. */
export function readRequestedSans(attributes: readonly Attribute[] | undefined): RequestedSan[] {
  const requests = (attributes ?? []).filter((attribute) => attribute.type === EXTENSION_REQUEST);
  if (requests.length === 0) return [];
  const [request] = requests;
  if (requests.length > 1 || request?.values.length !== 1) {
    throw new Error('the CSR has more than one extension request');
  }
  let extensions: Extensions;
  try {
    extensions = AsnConvert.parse(request.values[0] as ArrayBuffer, Extensions);
  } catch {
    throw new Error('the extension request is not a readable list of extensions');
  }
  const sanExtensions = extensions.filter((extension) => extension.extnID === SUBJECT_ALT_NAME);
  if (sanExtensions.length === 0) return [];
  if (sanExtensions.length > 1) throw new Error('the CSR requests subjectAltName more than once');
  let names: RawGeneralNames;
  try {
    names = AsnConvert.parse(sanExtensions[0]?.extnValue.buffer ?? new ArrayBuffer(0), RawGeneralNames);
  } catch {
    throw new Error('the requested subjectAltName is not a readable list of names');
  }
  if (names.length === 0) throw new Error('the requested subjectAltName is empty (RFC 5280 §4.2.1.6)');
  if (names.length > MAX_REQUESTED_SANS) throw new Error(`the CSR requests more than ${MAX_REQUESTED_SANS} names`);
  return Array.from(names, describeName);
}

function describeName(name: RawGeneralName): RequestedSan {
  if (name.dNSName !== undefined) return { kind: 'dns', value: name.dNSName };
  if (name.rfc822Name !== undefined) return { kind: 'email', value: name.rfc822Name };
  if (name.uniformResourceIdentifier !== undefined) return { kind: 'uri', value: name.uniformResourceIdentifier };
  if (name.iPAddress !== undefined) {
    const bytes = new Uint8Array(name.iPAddress);
    if (bytes.length !== 4 && bytes.length !== 16)
      return { kind: 'other', value: `iPAddress of ${bytes.length} bytes` };
    return { kind: 'ip', value: ipText(bytes) };
  }
  if (name.otherName !== undefined) return { kind: 'other', value: `otherName ${name.otherName.typeId}` };
  if (name.registeredID !== undefined) return { kind: 'other', value: `registeredID ${name.registeredID}` };
  if (name.directoryName !== undefined) return { kind: 'other', value: 'directoryName' };
  if (name.ediPartyName !== undefined) return { kind: 'other', value: 'ediPartyName' };
  return { kind: 'other', value: 'x400Address' };
}

/** IPv4 dotted (4 bytes), IPv6 in RFC 5952 form (16 bytes). */
function ipText(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  // WHATWG URL serialises an IPv6 host in RFC 5952's canonical text form.
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}
