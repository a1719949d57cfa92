/**
 * readUploadedCertificate: one certificate of an mTLS upload, parsed once and held to the profile every
 * uploaded certificate must meet, whatever its role (hostile-input.md "Validity and algorithms", "Extensions",
 * "Oversized or abusive input"). Role checks (CA or leaf) and chain checks are in upload-roles.ts.
 *
 * - exactly one DER certificate of at most 16 KiB, parseable by both asn1js and OpenSSL (node:crypto);
 * - version 3 (RFC 5280 §4.1.2.1; v1 and v2 cannot say whether they are a CA);
 * - serial positive, at most 20 octets (§4.1.2.2; octets counted without the sign padding, as zlint does);
 * - the two signatureAlgorithm fields equal (§4.1.1.2); SHA-256/384/512 with RSA or ECDSA (no MD5, SHA-1,
 *   DSA, RSA-PSS or Ed25519: Cloudflare's list minus SHA-1);
 * - key RSA 2048–8192 bits (a multiple of 8) or ECDSA P-256/P-384/P-521 by name (no explicit curves: RFC 5480
 *   §2.1.1, CVE-2022-0778), identified before OpenSSL decodes it;
 * - currently valid (expired and not-yet-valid certificates are refused, not warned about);
 * - non-empty issuer (§4.1.2.4); each extension at most once (§4.2); no critical extension OpenSSL does not
 *   process (§4.2: such a certificate must be rejected); well-formed name constraints (§4.2.1.10);
 * - bounded subject, subjectAltName and policy lists (CVE-2023-0464 grew policy trees from such lists).
 */
import { X509Certificate as NodeCertificate, createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  BasicConstraints,
  Certificate,
  CertificatePolicies,
  KeyUsage,
  NameConstraints,
  PolicyMappings,
  SubjectAlternativeName,
  Version,
  id_ce_basicConstraints,
  id_ce_certificatePolicies,
  id_ce_keyUsage,
  id_ce_nameConstraints,
  id_ce_policyMappings,
  id_ce_subjectAltName,
  type Extension,
  type GeneralSubtrees,
} from '@peculiar/asn1-x509';
import { isSingleDerSequence } from './der-length.ts';
import { describePublicKey, publicKeyLabel, rsaKeyProblem } from './public-key-description.ts';
import {
  ACCEPTED_SIGNATURE_ALGORITHMS,
  WEAK_SIGNATURE_ALGORITHMS,
  sameAlgorithm,
  signatureAlgorithmName,
} from './signature-algorithm.ts';
import { formatDistinguishedName } from './distinguished-name.ts';
import { serialFromBytes } from './serial.ts';
import { SUPPORTED_CRITICAL_EXTENSIONS } from './supported-critical-extensions.ts';

export const MAX_UPLOADED_CERTIFICATE_BYTES = 16 * 1024;
export const UPLOAD_MIN_RSA_BITS = 2048;
/** Go caps RSA at 8192 bits (CVE-2023-29409): verifying with bigger keys is a CPU DoS. */
export const UPLOAD_MAX_RSA_BITS = 8192;
const MAX_NAME_ATTRIBUTES = 32;
const MAX_ALT_NAMES = 100;
const MAX_POLICIES = 32;

export interface UploadedCertificate {
  readonly der: Buffer;
  readonly asn: Certificate;
  readonly node: NodeCertificate;
  /** `certificate 2 (CN=Example CA,O=Example)`: how messages name it. */
  readonly label: string;
  readonly extensions: ReadonlyMap<string, Extension>;
  /** basicConstraints, when present. */
  readonly basicConstraints: { readonly ca: boolean; readonly critical: boolean } | undefined;
  /** keyUsage bits (asn1-x509 KeyUsageFlags), when present. */
  readonly keyUsage: number | undefined;
  /** Lowercase hex of the serial's content octets. */
  readonly serialHex: string;
  /** Go-style signature algorithm name. */
  readonly signatureName: string;
  readonly fingerprintSha256: string;
  /** Subject and issuer DER-equal (RFC 5280 §3.3 self-issued). */
  readonly selfIssued: boolean;
}

/** Parses and checks certificate `index` (0-based) of an upload. Throws an Error with the reason. */
export function readUploadedCertificate(der: Buffer, index: number, now: Date): UploadedCertificate {
  const position = `certificate ${index + 1}`;
  if (der.byteLength > MAX_UPLOADED_CERTIFICATE_BYTES) {
    throw new Error(`${position} is larger than ${MAX_UPLOADED_CERTIFICATE_BYTES / 1024} KiB`);
  }
  if (!isSingleDerSequence(der)) throw new Error(`${position} is not exactly one DER certificate`);
  let asn: Certificate;
  try {
    asn = AsnConvert.parse(der, Certificate);
  } catch {
    throw new Error(`${position} is not a parseable X.509 certificate`);
  }
  const tbs = asn.tbsCertificate;
  const subject = formatDistinguishedName(tbs.subject, 'rfc2253');
  const label = `${position} (${subject === '' ? 'empty subject' : shorten(subject)})`;
  const fail = (reason: string): Error => new Error(`${label}: ${reason}`);
  if (tbs.version !== Version.v3) throw fail(`version ${tbs.version + 1} certificate (only version 3 is accepted)`);
  const serialHex = checkSerial(new Uint8Array(tbs.serialNumber), fail);
  const signatureName = checkSignatureAlgorithm(asn, fail);
  checkKey(new Uint8Array(AsnConvert.serialize(tbs.subjectPublicKeyInfo)), fail);
  let node: NodeCertificate;
  try {
    node = new NodeCertificate(der);
  } catch {
    throw fail('not a parseable X.509 certificate (OpenSSL refused it)');
  }
  checkValidity(tbs.validity.notBefore.getTime(), tbs.validity.notAfter.getTime(), now, fail);
  if (tbs.issuer.length === 0) throw fail('the issuer name is empty');
  if (countAttributes(tbs.subject) > MAX_NAME_ATTRIBUTES || countAttributes(tbs.issuer) > MAX_NAME_ATTRIBUTES) {
    throw fail(`a name with more than ${MAX_NAME_ATTRIBUTES} attributes`);
  }
  const extensions = indexExtensions(tbs.extensions ?? [], fail);
  let basic: BasicConstraints | undefined;
  let keyUsage: number | undefined;
  try {
    basic = parseExtension(extensions, id_ce_basicConstraints, BasicConstraints);
    keyUsage = parseExtension(extensions, id_ce_keyUsage, KeyUsage)?.toNumber();
    checkLists(extensions, fail);
  } catch (error) {
    throw error instanceof Error && error.message.startsWith(label) ? error : fail('an extension does not parse');
  }
  checkNameConstraints(extensions.get(id_ce_nameConstraints), basic?.cA === true, fail);
  return {
    der,
    asn,
    node,
    label,
    extensions,
    basicConstraints:
      basic === undefined
        ? undefined
        : { ca: basic.cA, critical: extensions.get(id_ce_basicConstraints)?.critical === true },
    keyUsage,
    serialHex,
    signatureName,
    fingerprintSha256: createHash('sha256').update(der).digest('hex'),
    selfIssued: Buffer.from(AsnConvert.serialize(tbs.subject)).equals(Buffer.from(AsnConvert.serialize(tbs.issuer))),
  };
}

type Fail = (reason: string) => Error;

function checkSerial(content: Uint8Array, fail: Fail): string {
  if (content.length === 0 || (content[0] ?? 0) >= 0x80) throw fail('negative serial number (RFC 5280 §4.1.2.2)');
  if (content.every((byte) => byte === 0)) throw fail('serial number 0 (RFC 5280 §4.1.2.2: it must be positive)');
  const hex = serialFromBytes(content);
  if (hex.length > 40) throw fail(`serial number of ${hex.length / 2} octets (at most 20, RFC 5280 §4.1.2.2)`);
  return hex;
}

function checkSignatureAlgorithm(asn: Certificate, fail: Fail): string {
  if (!sameAlgorithm(asn.signatureAlgorithm, asn.tbsCertificate.signature)) {
    throw fail('the signatureAlgorithm fields inside and outside the signed part differ (RFC 5280 §4.1.1.2)');
  }
  const name = signatureAlgorithmName(asn.signatureAlgorithm);
  if (WEAK_SIGNATURE_ALGORITHMS.has(name)) throw fail(`signed with ${name}: MD5 and SHA-1 signatures are not accepted`);
  if (!ACCEPTED_SIGNATURE_ALGORITHMS.has(name)) {
    throw fail(`signed with ${name} (accepted: ${[...ACCEPTED_SIGNATURE_ALGORITHMS].join(', ')})`);
  }
  return name;
}

function checkKey(spki: Uint8Array, fail: Fail): void {
  let key;
  try {
    key = describePublicKey(spki);
  } catch {
    throw fail('the public key does not parse');
  }
  if (key.kind === 'ec') return;
  if (key.kind === 'rsa') {
    const problem = rsaKeyProblem(key.modulusBits, key.publicExponent, UPLOAD_MIN_RSA_BITS, UPLOAD_MAX_RSA_BITS);
    if (problem !== undefined) throw fail(problem);
    return;
  }
  throw fail(`${publicKeyLabel(key)} keys are not accepted (accepted: RSA 2048–8192, ECDSA P-256, P-384, P-521)`);
}

function checkValidity(notBefore: Date, notAfter: Date, now: Date, fail: Fail): void {
  if (notBefore.getTime() > now.getTime()) throw fail(`not valid before ${notBefore.toISOString()}`);
  if (notAfter.getTime() <= now.getTime()) throw fail(`expired on ${notAfter.toISOString()}`);
}

function indexExtensions(list: readonly Extension[], fail: Fail): Map<string, Extension> {
  const extensions = new Map<string, Extension>();
  for (const extension of list) {
    if (extensions.has(extension.extnID)) throw fail(`extension ${extension.extnID} appears twice (RFC 5280 §4.2)`);
    if (extension.critical && !SUPPORTED_CRITICAL_EXTENSIONS.has(extension.extnID)) {
      throw fail(`unknown critical extension ${extension.extnID}`);
    }
    extensions.set(extension.extnID, extension);
  }
  return extensions;
}

function parseExtension<T>(extensions: ReadonlyMap<string, Extension>, oid: string, type: new () => T): T | undefined {
  const extension = extensions.get(oid);
  return extension === undefined ? undefined : AsnConvert.parse(extension.extnValue, type);
}

function checkLists(extensions: ReadonlyMap<string, Extension>, fail: Fail): void {
  const altNames = parseExtension(extensions, id_ce_subjectAltName, SubjectAlternativeName);
  if (altNames !== undefined && altNames.length > MAX_ALT_NAMES) {
    throw fail(`more than ${MAX_ALT_NAMES} subject alternative names`);
  }
  const policies = parseExtension(extensions, id_ce_certificatePolicies, CertificatePolicies);
  const mappings = parseExtension(extensions, id_ce_policyMappings, PolicyMappings);
  if ((policies?.length ?? 0) > MAX_POLICIES || (mappings?.length ?? 0) > MAX_POLICIES) {
    throw fail(`more than ${MAX_POLICIES} certificate policies or policy mappings`);
  }
}

/** RFC 5280 §4.2.1.10: CA certificates only; at least one non-empty subtree list; minimum 0, maximum absent. */
function checkNameConstraints(extension: Extension | undefined, isCa: boolean, fail: Fail): void {
  if (extension === undefined) return;
  if (!isCa) throw fail('name constraints on a certificate that is not a CA');
  let constraints: NameConstraints;
  try {
    constraints = AsnConvert.parse(extension.extnValue, NameConstraints);
  } catch {
    throw fail('malformed name constraints');
  }
  const { permittedSubtrees, excludedSubtrees } = constraints;
  if (permittedSubtrees === undefined && excludedSubtrees === undefined) {
    throw fail('name constraints with neither permitted nor excluded subtrees');
  }
  for (const subtrees of [permittedSubtrees, excludedSubtrees]) {
    if (subtrees === undefined) continue;
    if (subtrees.length === 0) throw fail('name constraints with an empty list of subtrees');
    if (!wellFormedSubtrees(subtrees)) throw fail('name constraints with a minimum or maximum distance');
  }
}

function wellFormedSubtrees(subtrees: GeneralSubtrees): boolean {
  return subtrees.every((subtree) => subtree.minimum === 0 && subtree.maximum === undefined);
}

function countAttributes(name: Certificate['tbsCertificate']['subject']): number {
  let count = 0;
  for (const rdn of name) count += rdn.length;
  return count;
}

function shorten(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
