/**
 * readCsr: a PKCS #10 certificate signing request (RFC 2986) from PEM, checked before the managed CA signs
 * anything for it.
 *
 * - Strict PEM (RFC 7468 §7: label CERTIFICATE REQUEST; NEW CERTIFICATE REQUEST, which old Netscape and
 *   Microsoft tools write, is accepted too), exactly one block, at most 16 KiB, no bytes after the DER.
 * - The key: ECDSA P-256 or P-384, or RSA of 2048 to 4096 bits (a multiple of 8). It is identified from the
 *   ASN.1 before OpenSSL parses it (see public-key-description.ts): no explicit curves, DSA, P-521. Ed25519
 *   (RFC 8410) only when the caller opts in (`{ ed25519: true }`: EST profiles that list it); the client
 *   certificate API keeps Cloudflare's set.
 * - The self-signature (RFC 2986 §3, proof of possession of the private key) must verify; it must be
 *   ECDSA or RSA PKCS #1 v1.5 with SHA-256/384/512, or Ed25519 for an Ed25519 key (RFC 8410 §6).
 * - The subject: see csr-subject.ts. The requested subject alternative names: see csr-san.ts (every one is
 *   returned, for the zone's SAN policy to allow or refuse). Other requested extensions (key usages…) are
 *   ignored: the CA decides them, as Cloudflare's managed CA does.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { AsnArray, AsnConvert, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Attribute, Name } from '@peculiar/asn1-x509';
import { GW_ERR_CSR_INVALID, GatewayError } from '../errors/index.ts';
import { readPemBlocks, toPem } from './pem.ts';
import { isSingleDerSequence } from './der-length.ts';
import { describePublicKey, publicKeyLabel, rsaKeyProblem } from './public-key-description.ts';
import { signatureAlgorithmName } from './signature-algorithm.ts';
import { readCsrSubject, type CsrSubject } from './csr-subject.ts';
import { readRequestedSans, type RequestedSan } from './csr-san.ts';

export type { CsrSubject } from './csr-subject.ts';

/** Largest CSR accepted, as PEM text: an RSA-4096 CSR with a full subject is under 2 KiB. */
export const MAX_CSR_PEM_LENGTH = 16 * 1024;
export const CSR_MIN_RSA_BITS = 2048;
export const CSR_MAX_RSA_BITS = 4096;

export type CsrKeyAlgorithm =
  | { readonly kind: 'ecdsa'; readonly curve: 'P-256' | 'P-384' }
  | { readonly kind: 'rsa'; readonly modulusBits: number }
  | { readonly kind: 'ed25519' };

export interface ReadCsrOptions {
  /** Accept Ed25519 keys (RFC 8410), signed with Ed25519. Off by default. */
  readonly ed25519?: boolean;
}

export interface ParsedCsr {
  /** DER of the subject's SubjectPublicKeyInfo: the key the certificate will certify. */
  readonly publicKey: Uint8Array;
  /** The six subject fields, `''` when absent. */
  readonly subject: CsrSubject;
  /** Every subject alternative name the CSR requests, in its order: for the SAN policy to decide. */
  readonly requestedSans: readonly RequestedSan[];
  readonly keyAlgorithm: CsrKeyAlgorithm;
  /** The CSR re-encoded as one PEM block, label CERTIFICATE REQUEST, 64-character lines, `\n`. */
  readonly pem: string;
  readonly der: Uint8Array;
}

const LABELS = new Set(['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST']);
/** Signature algorithm OIDs accepted on a CSR, with the hash node:crypto verifies with. */
const SIGNATURE_HASHES: ReadonlyMap<string, string> = new Map([
  ['1.2.840.113549.1.1.11', 'sha256'],
  ['1.2.840.113549.1.1.12', 'sha384'],
  ['1.2.840.113549.1.1.13', 'sha512'],
  ['1.2.840.10045.4.3.2', 'sha256'],
  ['1.2.840.10045.4.3.3', 'sha384'],
  ['1.2.840.10045.4.3.4', 'sha512'],
]);
const RSA_SIGNATURE = /^1\.2\.840\.113549\.1\.1\./;
/** id-Ed25519 (RFC 8410 §3): the key's and the signature's algorithm, with absent parameters. */
const ED25519 = '1.3.101.112';
/** An Ed25519 SubjectPublicKeyInfo is always these 12 bytes followed by the 32-byte key (RFC 8410 §4). */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Parses and checks a CSR. Throws GW_ERR_CSR_INVALID with the reason. */
export function readCsr(pem: string, options: ReadCsrOptions = {}): ParsedCsr {
  try {
    return parse(pem, options);
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    throw GW_ERR_CSR_INVALID.create(error instanceof Error ? error.message : 'unreadable CSR');
  }
}

function parse(pem: string, options: ReadCsrOptions): ParsedCsr {
  if (typeof pem !== 'string' || pem.length === 0) throw new Error('no CSR given');
  if (pem.length > MAX_CSR_PEM_LENGTH) throw new Error(`the CSR is larger than ${MAX_CSR_PEM_LENGTH / 1024} KiB`);
  if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(pem)) {
    throw new Error('a private key was sent: send only the certificate request, never the private key');
  }
  const blocks = readPemBlocks(pem);
  const [block] = blocks;
  if (block === undefined || blocks.length !== 1) throw new Error(`expected one PEM block, found ${blocks.length}`);
  if (!LABELS.has(block.label)) throw new Error(`expected a CERTIFICATE REQUEST block, found ${block.label}`);
  const der = block.der;
  if (!isSingleDerSequence(der)) throw new Error('the PEM block is not exactly one DER certification request');
  let request: RawCertificationRequest;
  let info: RawCertificationRequestInfo;
  try {
    request = AsnConvert.parse(der, RawCertificationRequest);
    info = AsnConvert.parse(request.info, RawCertificationRequestInfo);
  } catch {
    throw new Error('not a parseable PKCS #10 certification request');
  }
  if (info.version !== 0) throw new Error(`version ${info.version} (only version 1, encoded 0, exists)`);
  const publicKey = new Uint8Array(info.subjectPKInfo);
  const keyAlgorithm = checkKey(publicKey, options);
  verifySignature(request, publicKey, keyAlgorithm);
  const requestedSans = readRequestedSans(info.attributes);
  return {
    publicKey,
    subject: readCsrSubject(info.subject, requestedSans.length > 0),
    requestedSans,
    keyAlgorithm,
    pem: toPem(der, 'CERTIFICATE REQUEST'),
    der: new Uint8Array(der),
  };
}

function checkKey(spki: Uint8Array, options: ReadCsrOptions): CsrKeyAlgorithm {
  if (options.ed25519 === true && isEd25519Spki(spki)) return { kind: 'ed25519' };
  const key = describePublicKey(spki);
  if (key.kind === 'ec' && (key.curve === 'P-256' || key.curve === 'P-384')) return { kind: 'ecdsa', curve: key.curve };
  if (key.kind === 'rsa') {
    const problem = rsaKeyProblem(key.modulusBits, key.publicExponent, CSR_MIN_RSA_BITS, CSR_MAX_RSA_BITS);
    if (problem !== undefined) throw new Error(problem);
    return { kind: 'rsa', modulusBits: key.modulusBits };
  }
  const accepted =
    options.ed25519 === true ? 'ECDSA P-256, P-384, RSA 2048–4096, Ed25519' : 'ECDSA P-256, P-384, RSA 2048–4096';
  throw new Error(`${publicKeyLabel(key)} keys are not accepted (accepted: ${accepted})`);
}

/** Exactly the RFC 8410 encoding: any other length or parameters present is not an Ed25519 key we read. */
function isEd25519Spki(spki: Uint8Array): boolean {
  return spki.length === ED25519_SPKI_PREFIX.length + 32 && ED25519_SPKI_PREFIX.equals(spki.subarray(0, 12));
}

function verifySignature(request: RawCertificationRequest, spki: Uint8Array, key: CsrKeyAlgorithm): void {
  const oid = request.signatureAlgorithm.algorithm;
  if (key.kind === 'ed25519') {
    verifyEd25519(request, spki);
    return;
  }
  const hash = SIGNATURE_HASHES.get(oid);
  if (hash === undefined) {
    const name = signatureAlgorithmName(request.signatureAlgorithm);
    throw new Error(`signed with ${name} (accepted: ECDSA or RSA PKCS #1 v1.5 with SHA-256, SHA-384 or SHA-512)`);
  }
  if (RSA_SIGNATURE.test(oid) !== (key.kind === 'rsa')) {
    throw new Error('the signature algorithm does not match the key type');
  }
  const publicKey = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  if (!verifies(hash, request, publicKey))
    throw new Error('the signature does not verify (the request was altered, or signed with another key)');
}

/** RFC 8410 §6: an Ed25519 key signs with Ed25519 (no separate hash), parameters absent. */
function verifyEd25519(request: RawCertificationRequest, spki: Uint8Array): void {
  if (request.signatureAlgorithm.algorithm !== ED25519) {
    throw new Error('the signature algorithm does not match the key type');
  }
  if (request.signatureAlgorithm.parameters !== undefined && request.signatureAlgorithm.parameters !== null) {
    throw new Error('an Ed25519 signature algorithm must have no parameters (RFC 8410 §3)');
  }
  const publicKey = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  if (!verifies(null, request, publicKey))
    throw new Error('the signature does not verify (the request was altered, or signed with another key)');
}

/** node:crypto throws on a malformed ECDSA signature instead of returning false. */
function verifies(hash: string | null, request: RawCertificationRequest, publicKey: KeyObject): boolean {
  try {
    return verify(hash, new Uint8Array(request.info), publicKey, new Uint8Array(request.signature));
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The CertificationRequest schema (RFC 2986 §4), with the signed CertificationRequestInfo kept as its DER so the
// signature is checked over the exact bytes received. Of the attributes, the extension request's SANs are read.

class RawCertificationRequest {
  info = new ArrayBuffer(0);
  signatureAlgorithm = new AlgorithmIdentifier();
  signature = new ArrayBuffer(0);
}
AsnProp({ type: AsnPropTypes.Any })(RawCertificationRequest.prototype, 'info');
AsnProp({ type: AlgorithmIdentifier })(RawCertificationRequest.prototype, 'signatureAlgorithm');
AsnProp({ type: AsnPropTypes.BitString })(RawCertificationRequest.prototype, 'signature');
AsnType({ type: AsnTypeTypes.Sequence })(RawCertificationRequest);

class RawAttributes extends AsnArray<Attribute> {
  constructor(items?: Attribute[]) {
    super(items);
    Object.setPrototypeOf(this, RawAttributes.prototype);
  }
}
AsnType({ type: AsnTypeTypes.Set, itemType: Attribute })(RawAttributes);

class RawCertificationRequestInfo {
  version = 0;
  subject = new Name();
  subjectPKInfo = new ArrayBuffer(0);
  attributes: RawAttributes | undefined = undefined;
}
AsnProp({ type: AsnPropTypes.Integer })(RawCertificationRequestInfo.prototype, 'version');
AsnProp({ type: Name })(RawCertificationRequestInfo.prototype, 'subject');
AsnProp({ type: AsnPropTypes.Any })(RawCertificationRequestInfo.prototype, 'subjectPKInfo');
AsnProp({ type: RawAttributes, context: 0, implicit: true, optional: true })(
  RawCertificationRequestInfo.prototype,
  'attributes',
);
AsnType({ type: AsnTypeTypes.Sequence })(RawCertificationRequestInfo);
