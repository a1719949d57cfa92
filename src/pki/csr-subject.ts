/**
 * The subject of a CSR, reduced to the six attributes Cloudflare's client certificates report (common name,
 * country, state, locality, organization, organizational unit: cloudflare-compatibility.md §4), each checked
 * against the RFC 5280 Appendix A upper bounds. Anything else in the requested subject (emailAddress, DC, UID,
 * serialNumber…) is dropped, as Go's pkix.Name drops it when a CA built on crypto/x509 copies a CSR subject.
 *
 * The certificate subject is built in Go's order (C, O, OU, L, ST, CN in DER; printed most specific first),
 * C as PrintableString (X520countryName is PrintableString SIZE(2)), the others as UTF8String (RFC 5280
 * §4.1.2.6). A value with control characters or a repeated attribute is refused: one value per field, printable.
 */
import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509';

export interface CsrSubject {
  readonly commonName: string;
  readonly country: string;
  readonly state: string;
  readonly locality: string;
  readonly organization: string;
  readonly organizationalUnit: string;
}

type Field = keyof CsrSubject;

interface FieldSpec {
  readonly field: Field;
  readonly oid: string;
  readonly short: string;
  /** RFC 5280 Appendix A ub-* bound, in characters. */
  readonly max: number;
}

/** In Go's pkix.Name.ToRDNSequence order. */
const FIELDS: readonly FieldSpec[] = [
  { field: 'country', oid: '2.5.4.6', short: 'C', max: 2 },
  { field: 'organization', oid: '2.5.4.10', short: 'O', max: 64 },
  { field: 'organizationalUnit', oid: '2.5.4.11', short: 'OU', max: 64 },
  { field: 'locality', oid: '2.5.4.7', short: 'L', max: 128 },
  { field: 'state', oid: '2.5.4.8', short: 'ST', max: 128 },
  { field: 'commonName', oid: '2.5.4.3', short: 'CN', max: 64 },
];
const BY_OID: ReadonlyMap<string, FieldSpec> = new Map(FIELDS.map((spec) => [spec.oid, spec]));

/**
 * Reads the six fields from a requested subject. Throws an Error with the reason. An empty subject is accepted
 * only when the CSR names its client by subject alternative names instead (RFC 5280 §4.1.2.6).
 */
export function readCsrSubject(subject: Name, emptyAllowed = false): CsrSubject {
  const values = new Map<Field, string>();
  for (const rdn of subject) {
    for (const attribute of rdn) {
      const spec = BY_OID.get(attribute.type);
      if (spec === undefined) continue;
      if (values.has(spec.field)) throw new Error(`the subject has more than one ${spec.short} value`);
      values.set(spec.field, readValue(attribute.value, spec));
    }
  }
  if (values.size === 0 && !emptyAllowed) {
    throw new Error(
      'the subject has none of CN, C, ST, L, O, OU and no subject alternative name is requested (one is needed to name the certificate)',
    );
  }
  return {
    commonName: values.get('commonName') ?? '',
    country: values.get('country') ?? '',
    state: values.get('state') ?? '',
    locality: values.get('locality') ?? '',
    organization: values.get('organization') ?? '',
    organizationalUnit: values.get('organizationalUnit') ?? '',
  };
}

function readValue(value: AttributeValue, spec: FieldSpec): string {
  const text = value.utf8String ?? value.printableString ?? value.bmpString ?? value.ia5String;
  if (text === undefined) {
    throw new Error(`the ${spec.short} value is not a UTF8String, PrintableString, BMPString or IA5String`);
  }
  if (text === '') throw new Error(`the ${spec.short} value is empty`);
  if (hasUnprintable(text)) throw new Error(`the ${spec.short} value contains control characters`);
  if (spec.field === 'country' && !/^[A-Za-z]{2}$/.test(text)) {
    throw new Error('the C value must be a two-letter ISO 3166 country code');
  }
  if (codePoints(text) > spec.max) throw new Error(`the ${spec.short} value is longer than ${spec.max} characters`);
  return text;
}

/** C0 controls, DEL, C1 controls, or U+FFFD (what a failed decoding leaves behind). */
function hasUnprintable(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0xfffd) return true;
  }
  return false;
}

/** Length in characters (code points), as the RFC 5280 bounds count. */
function codePoints(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) count++; // a low surrogate completes a character already counted
  }
  return count;
}

/** The certificate subject for these fields (empty fields omitted), one attribute per RDN. */
export function subjectName(subject: CsrSubject): Name {
  const rdns: RelativeDistinguishedName[] = [];
  for (const spec of FIELDS) {
    const text = subject[spec.field];
    if (text === '') continue;
    const value =
      spec.field === 'country'
        ? new AttributeValue({ printableString: text })
        : new AttributeValue({ utf8String: text });
    rdns.push(new RelativeDistinguishedName([new AttributeTypeAndValue({ type: spec.oid, value })]));
  }
  return new Name(rdns);
}
