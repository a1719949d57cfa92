/**
 * validateMtlsUpload: the checks behind POST /accounts/{account_id}/mtls_certificates (cloudflare-compatibility.md
 * §3.1), and the fields its result reports. Everything hostile-input.md "Management API" lists for uploads is
 * refused here with GW_ERR_CERT_UPLOAD_INVALID and a reason a person can act on:
 *
 * - the PEM text: upload-pem.ts (size, count, private keys and CSRs in `certificates`, malformed PEM);
 * - each certificate: uploaded-certificate.ts (version, serial, algorithms, keys, validity, extensions);
 * - roles and chains: upload-chain.ts (CA bundles need a self-signed root; leaves come first);
 * - for CAs, first of all: the client-chain rules that apply to CAs (client-chain-policy.ts checkCaCertificate,
 *   docs/adr/0008) under the upload's `compatibility`, each refused with its own code (chain-rule-errors.ts);
 * - `private_key`: refused with `ca: true`; with `ca: false` it must be one unencrypted PEM private key that
 *   belongs to the leaf. Its content is never repeated in a message, nor attached as an error cause.
 *
 * The description follows Cloudflare's MTLSCertificate object, for the first certificate: `issuer` as an RFC 4514
 * string with `,` and no spaces (distinguished-name.ts), `serial_number` in decimal, `signature` in Go's naming.
 */
import { X509Certificate as NodeCertificate, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { GW_ERR_CERT_UPLOAD_INVALID, GatewayError } from '../errors/index.ts';
import { checkCaCertificate, LEGACY_RELAXED_RULES, type ChainCompatibility } from './client-chain-policy.ts';
import { CA_RULE_ERRORS } from './chain-rule-errors.ts';
import { parseChainCertificate } from './chain-certificate.ts';
import { readPemBlocks, toPem } from './pem.ts';
import { readUploadPem } from './upload-pem.ts';
import { readUploadedCertificate, type UploadedCertificate } from './uploaded-certificate.ts';
import { checkCaBundle, checkLeafChain, type LeafUsage } from './upload-chain.ts';
import { formatDistinguishedName } from './distinguished-name.ts';
import { serialToDecimal } from './serial.ts';

export { MAX_UPLOAD_CERTIFICATES, MAX_UPLOAD_PEM_LENGTH } from './upload-pem.ts';
export type { LeafUsage } from './upload-chain.ts';

/** Largest `private_key` text: an RSA-8192 PKCS #8 PEM is about 6.3 KiB. */
export const MAX_PRIVATE_KEY_PEM_LENGTH = 16 * 1024;

export interface MtlsUploadInput {
  /** `true` for client-certificate CAs, `false` for a leaf (with its chain) the gateway presents. */
  readonly ca: boolean;
  readonly certificatesPem: string;
  readonly privateKeyPem?: string;
  /**
   * For `ca: false`: what the leaf is for. When given, a leaf whose extendedKeyUsage does not allow it is refused
   * (clientAuth for mTLS certificates the gateway presents upstream, serverAuth for edge certificates).
   */
  readonly leafUsage?: LeafUsage;
  /** For `ca: true`: how client chains ending at these CAs are judged; default `strict`. */
  readonly compatibility?: ChainCompatibility;
  /** Default the current time. */
  readonly now?: Date;
}

export interface MtlsUploadDescription {
  /** Issuer DN of the first certificate, RFC 4514, most specific first, `,` without spaces. */
  readonly issuer: string;
  readonly serialNumberDecimal: string;
  /** Go-style signature algorithm name of the first certificate: `SHA256WithRSA`. */
  readonly signature: string;
  /** notAfter of the first certificate. */
  readonly expiresOn: Date;
  /** Lowercase hex SHA-256 of the first certificate's DER. */
  readonly fingerprintSha256: string;
}

export interface ValidatedMtlsUpload {
  /** The certificates re-encoded as PEM blocks (64-character lines, `\n`), in upload order, nothing else. */
  readonly normalisedPem: string;
  readonly certificates: readonly NodeCertificate[];
  readonly description: MtlsUploadDescription;
}

const PRIVATE_KEY_TYPES: ReadonlyMap<string, 'pkcs8' | 'pkcs1' | 'sec1'> = new Map([
  ['PRIVATE KEY', 'pkcs8'],
  ['RSA PRIVATE KEY', 'pkcs1'],
  ['EC PRIVATE KEY', 'sec1'],
]);

/** Validates an upload. Throws GW_ERR_CERT_UPLOAD_INVALID with the reason. */
export function validateMtlsUpload(input: MtlsUploadInput): ValidatedMtlsUpload {
  try {
    return validate(input);
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    // No cause attached: a parser's message could quote the input, private key included.
    throw GW_ERR_CERT_UPLOAD_INVALID.create(error instanceof Error ? error.message : 'unreadable upload');
  }
}

function validate(input: MtlsUploadInput): ValidatedMtlsUpload {
  const now = input.now ?? new Date();
  const privateKeyPem = input.privateKeyPem === '' ? undefined : input.privateKeyPem;
  if (input.ca && privateKeyPem !== undefined) {
    throw new Error('a private key must not be sent with a CA certificate (ca: true)');
  }
  const compatibility = input.compatibility ?? 'strict';
  const certificates = readUploadPem(input.certificatesPem).map((der, index) => {
    if (input.ca) checkCaRules(der, index, compatibility, now);
    return readUploadedCertificate(der, index, now);
  });
  if (input.ca) checkCaBundle(certificates, compatibility);
  else checkLeafChain(certificates, input.leafUsage);
  const [first] = certificates;
  if (first === undefined) throw new Error('no certificate given');
  if (privateKeyPem !== undefined) checkPrivateKey(privateKeyPem, first);
  return {
    normalisedPem: certificates.map((certificate) => toPem(certificate.der, 'CERTIFICATE')).join(''),
    certificates: certificates.map((certificate) => certificate.node),
    description: describe(first),
  };
}

/**
 * A client-chain rule that applies to CAs, refused with the code of its kind; the rest is left to the checks
 * after. A CA outside its validity period is left to them too: "expired" says more than any rule.
 */
function checkCaRules(der: Buffer, index: number, compatibility: ChainCompatibility, now: Date): void {
  const validity = parseChainCertificate(der)?.asn.tbsCertificate.validity;
  if (validity === undefined) return;
  const nowMs = now.getTime();
  if (validity.notBefore.getTime().getTime() > nowMs || validity.notAfter.getTime().getTime() <= nowMs) return;
  const found = checkCaCertificate(der, compatibility);
  const definition = found === undefined ? undefined : CA_RULE_ERRORS[found.rule];
  if (found === undefined || definition === undefined) return;
  const hint = LEGACY_RELAXED_RULES.has(found.rule)
    ? '; a legacy private CA can be uploaded with compatibility "legacy"'
    : '';
  throw definition.create(`${found.rule}: certificate ${index + 1}: ${found.detail}${hint}`);
}

function describe(first: UploadedCertificate): MtlsUploadDescription {
  const tbs = first.asn.tbsCertificate;
  return {
    issuer: formatDistinguishedName(tbs.issuer, 'rfc2253'),
    serialNumberDecimal: serialToDecimal(first.serialHex),
    signature: first.signatureName,
    expiresOn: tbs.validity.notAfter.getTime(),
    fingerprintSha256: first.fingerprintSha256,
  };
}

function checkPrivateKey(pem: string, leaf: UploadedCertificate): void {
  if (typeof pem !== 'string') throw new Error('private_key must be a PEM string');
  if (pem.length > MAX_PRIVATE_KEY_PEM_LENGTH) {
    throw new Error(`private_key is larger than ${MAX_PRIVATE_KEY_PEM_LENGTH / 1024} KiB`);
  }
  let blocks;
  try {
    blocks = readPemBlocks(pem);
  } catch {
    throw new Error('private_key is not a well-formed PEM block');
  }
  const [block] = blocks;
  if (block === undefined || blocks.length !== 1) throw new Error('private_key must be exactly one PEM block');
  if (block.label === 'ENCRYPTED PRIVATE KEY') throw new Error('private_key is encrypted: send it unencrypted');
  const type = PRIVATE_KEY_TYPES.get(block.label);
  if (type === undefined) {
    throw new Error('private_key must be a PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block');
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: block.der, format: 'der', type });
  } catch {
    throw new Error('private_key is not a readable private key');
  }
  const publicDer = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const leafDer = leaf.node.publicKey.export({ type: 'spki', format: 'der' });
  if (!publicDer.equals(leafDer)) throw new Error('private_key does not belong to the first certificate');
}
