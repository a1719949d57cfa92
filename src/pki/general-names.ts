/**
 * GeneralNames (RFC 5280 §4.2.1.6) and NameConstraints (§4.2.1.10) read without loss, for the client-chain
 * policy. asn1-x509's GeneralName turns an iPAddress into text (and an 8-byte value into a CIDR string whatever
 * its mask), which cannot tell a well-formed address or constraint from a malformed one; here iPAddress stays the
 * OCTET STRING's bytes. The other choices are decoded as asn1-x509 decodes them (IA5String as one character per
 * byte, so a byte outside ASCII stays visible as a code point above 0x7e).
 */
import { AsnArray, AsnConvert, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { EDIPartyName, Name, OtherName } from '@peculiar/asn1-x509';

export class RawGeneralName {
  otherName?: OtherName;
  rfc822Name?: string;
  dNSName?: string;
  x400Address?: ArrayBuffer;
  directoryName?: Name;
  ediPartyName?: EDIPartyName;
  uniformResourceIdentifier?: string;
  iPAddress?: ArrayBuffer;
  registeredID?: string;
}
AsnProp({ type: OtherName, context: 0, implicit: true })(RawGeneralName.prototype, 'otherName');
AsnProp({ type: AsnPropTypes.IA5String, context: 1, implicit: true })(RawGeneralName.prototype, 'rfc822Name');
AsnProp({ type: AsnPropTypes.IA5String, context: 2, implicit: true })(RawGeneralName.prototype, 'dNSName');
AsnProp({ type: AsnPropTypes.Any, context: 3, implicit: true })(RawGeneralName.prototype, 'x400Address');
AsnProp({ type: Name, context: 4, implicit: false })(RawGeneralName.prototype, 'directoryName');
AsnProp({ type: EDIPartyName, context: 5 })(RawGeneralName.prototype, 'ediPartyName');
AsnProp({ type: AsnPropTypes.IA5String, context: 6, implicit: true })(
  RawGeneralName.prototype,
  'uniformResourceIdentifier',
);
AsnProp({ type: AsnPropTypes.OctetString, context: 7, implicit: true })(RawGeneralName.prototype, 'iPAddress');
AsnProp({ type: AsnPropTypes.ObjectIdentifier, context: 8, implicit: true })(RawGeneralName.prototype, 'registeredID');
AsnType({ type: AsnTypeTypes.Choice })(RawGeneralName);

export class RawGeneralNames extends AsnArray<RawGeneralName> {
  constructor(items?: RawGeneralName[]) {
    super(items);
    Object.setPrototypeOf(this, RawGeneralNames.prototype);
  }
}
AsnType({ type: AsnTypeTypes.Sequence, itemType: RawGeneralName })(RawGeneralNames);

export class RawGeneralSubtree {
  base = new RawGeneralName();
  minimum = 0;
  maximum?: number;
}
AsnProp({ type: RawGeneralName })(RawGeneralSubtree.prototype, 'base');
AsnProp({ type: AsnPropTypes.Integer, context: 0, defaultValue: 0, implicit: true })(
  RawGeneralSubtree.prototype,
  'minimum',
);
AsnProp({ type: AsnPropTypes.Integer, context: 1, optional: true, implicit: true })(
  RawGeneralSubtree.prototype,
  'maximum',
);

export class RawGeneralSubtrees extends AsnArray<RawGeneralSubtree> {
  constructor(items?: RawGeneralSubtree[]) {
    super(items);
    Object.setPrototypeOf(this, RawGeneralSubtrees.prototype);
  }
}
AsnType({ type: AsnTypeTypes.Sequence, itemType: RawGeneralSubtree })(RawGeneralSubtrees);

export class RawNameConstraints {
  permittedSubtrees?: RawGeneralSubtrees;
  excludedSubtrees?: RawGeneralSubtrees;
}
AsnProp({ type: RawGeneralSubtrees, context: 0, implicit: true, optional: true })(
  RawNameConstraints.prototype,
  'permittedSubtrees',
);
AsnProp({ type: RawGeneralSubtrees, context: 1, implicit: true, optional: true })(
  RawNameConstraints.prototype,
  'excludedSubtrees',
);
AsnType({ type: AsnTypeTypes.Sequence })(RawNameConstraints);

/** The entries of a subjectAltName extension value. Throws when it is not a GeneralNames. */
export function readGeneralNames(extnValue: ArrayBuffer): RawGeneralName[] {
  return [...AsnConvert.parse(extnValue, RawGeneralNames)];
}

/** A nameConstraints extension value. Throws when it is not a NameConstraints. */
export function readNameConstraints(extnValue: ArrayBuffer): RawNameConstraints {
  return AsnConvert.parse(extnValue, RawNameConstraints);
}

/** The id-on-SmtpUTF8Mailbox otherName (RFC 8398 §3): an internationalised mailbox. */
export const SMTP_UTF8_MAILBOX = '1.3.6.1.5.5.7.8.9';

/** Which choice of GeneralName an entry is, for messages and to group constraints by form. */
export type NameForm =
  | 'otherName'
  | 'rfc822Name'
  | 'dNSName'
  | 'x400Address'
  | 'directoryName'
  | 'ediPartyName'
  | 'uniformResourceIdentifier'
  | 'iPAddress'
  | 'registeredID';

export function formOf(name: RawGeneralName): NameForm | undefined {
  if (name.dNSName !== undefined) return 'dNSName';
  if (name.rfc822Name !== undefined) return 'rfc822Name';
  if (name.uniformResourceIdentifier !== undefined) return 'uniformResourceIdentifier';
  if (name.iPAddress !== undefined) return 'iPAddress';
  if (name.directoryName !== undefined) return 'directoryName';
  if (name.otherName !== undefined) return 'otherName';
  if (name.x400Address !== undefined) return 'x400Address';
  if (name.ediPartyName !== undefined) return 'ediPartyName';
  if (name.registeredID !== undefined) return 'registeredID';
  return undefined;
}
