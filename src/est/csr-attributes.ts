/**
 * What EST reads from a CSR's attributes (RFC 2986 §4.1) beyond what pki/csr.ts checks: the
 * challengePassword (PKCS #9, 1.2.840.113549.1.9.7), which carries the TLS channel binding
 * (RFC 7030 §3.5), and the subjectAltName of the extensionRequest (1.2.840.113549.1.9.14), which a
 * re-enrollment must repeat unchanged (§4.2.2). The signature was checked by readCsr before this runs.
 */
import { AsnConvert, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes, AsnArray } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  Attribute,
  DirectoryString,
  Extensions,
  Name,
  SubjectAlternativeName,
} from '@peculiar/asn1-x509';

const CHALLENGE_PASSWORD = '1.2.840.113549.1.9.7';
const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const SUBJECT_ALT_NAME = '2.5.29.17';

export interface CsrAttributes {
  /** The challengePassword, as text; undefined when absent. */
  readonly challengePassword: string | undefined;
  /** Requested subjectAltNames as `dns:…`, `uri:…`, `email:…`, `ip:…`, `other`; undefined when none requested. */
  readonly subjectAltNames: readonly string[] | undefined;
}

/** Throws an Error with the reason when the attributes cannot be read. */
export function readCsrAttributes(der: Uint8Array): CsrAttributes {
  const request = AsnConvert.parse(der, CertificationRequest);
  let challengePassword: string | undefined;
  let subjectAltNames: string[] | undefined;
  const attributes: readonly Attribute[] = request.info.attributes ?? new Attributes();
  for (const attribute of attributes) {
    if (attribute.type === CHALLENGE_PASSWORD) {
      const [value] = attribute.values;
      if (attribute.values.length !== 1 || value === undefined)
        throw new Error('challengePassword must have one value');
      challengePassword = AsnConvert.parse(value, DirectoryString).toString();
    } else if (attribute.type === EXTENSION_REQUEST) {
      for (const value of attribute.values) {
        for (const extension of AsnConvert.parse(value, Extensions)) {
          if (extension.extnID !== SUBJECT_ALT_NAME) continue;
          const names = AsnConvert.parse(extension.extnValue.buffer, SubjectAlternativeName);
          subjectAltNames = [...names].map((name) => {
            if (name.dNSName !== undefined) return `dns:${name.dNSName.toLowerCase()}`;
            if (name.uniformResourceIdentifier !== undefined) return `uri:${name.uniformResourceIdentifier}`;
            if (name.rfc822Name !== undefined) return `email:${name.rfc822Name}`;
            if (name.iPAddress !== undefined) return `ip:${name.iPAddress}`;
            return 'other';
          });
        }
      }
    }
  }
  return { challengePassword, subjectAltNames };
}

// The CertificationRequest of RFC 2986 §4, with its attributes parsed (csr.ts keeps them opaque).
class Attributes extends AsnArray<Attribute> {
  constructor(items?: Attribute[]) {
    super(items);
    Object.setPrototypeOf(this, Attributes.prototype);
  }
}
AsnType({ type: AsnTypeTypes.Set, itemType: Attribute })(Attributes);

class CertificationRequestInfo {
  version = 0;
  subject = new Name();
  subjectPKInfo = new ArrayBuffer(0);
  attributes: Attributes | undefined = undefined;
}
AsnProp({ type: AsnPropTypes.Integer })(CertificationRequestInfo.prototype, 'version');
AsnProp({ type: Name })(CertificationRequestInfo.prototype, 'subject');
AsnProp({ type: AsnPropTypes.Any })(CertificationRequestInfo.prototype, 'subjectPKInfo');
AsnProp({ type: Attributes, context: 0, implicit: true, optional: true })(
  CertificationRequestInfo.prototype,
  'attributes',
);
AsnType({ type: AsnTypeTypes.Sequence })(CertificationRequestInfo);

class CertificationRequest {
  info = new CertificationRequestInfo();
  signatureAlgorithm = new AlgorithmIdentifier();
  signature = new ArrayBuffer(0);
}
AsnProp({ type: CertificationRequestInfo })(CertificationRequest.prototype, 'info');
AsnProp({ type: AlgorithmIdentifier })(CertificationRequest.prototype, 'signatureAlgorithm');
AsnProp({ type: AsnPropTypes.BitString })(CertificationRequest.prototype, 'signature');
AsnType({ type: AsnTypeTypes.Sequence })(CertificationRequest);
