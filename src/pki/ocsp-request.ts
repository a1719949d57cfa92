/**
 * parseOcspRequest: an OCSP request (RFC 6960 §4.1) from DER, bounded and checked, so the responder only ever
 * sees well-formed questions. What it returns is what the responder needs: each CertID (hash algorithm, issuer
 * name and key hashes, serial) and the nonce (RFC 8954).
 *
 * Refused (GW_ERR_REQUEST_INVALID, which the responder turns into `malformedRequest`, §2.3):
 * - more than 8 KiB, trailing bytes after the DER, anything that does not parse as an OCSPRequest;
 * - a version other than v1, no CertID or more than 20;
 * - duplicate extensions, an unknown critical extension (§4.4: ignore only non-critical ones);
 * - a nonce that is empty or longer than 32 octets (RFC 8954 §2.1).
 * A signature on the request (optionalSignature) is allowed and ignored: this responder answers anyone.
 */
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { CertID, OCSPRequest, id_pkix_ocsp_nonce } from '@peculiar/asn1-ocsp';
import type { Extension } from '@peculiar/asn1-x509';
import { GW_ERR_REQUEST_INVALID } from '../errors/index.ts';
import { isSingleDerSequence } from './der-length.ts';
import { serialFromBytes } from './serial.ts';

/** A GET request carries at most ~255 bytes of base64 (§A.1); POSTed ones with a signature and certs more. */
export const MAX_OCSP_REQUEST_BYTES = 8 * 1024;
export const MAX_OCSP_CERT_IDS = 20;
/** RFC 8954 §2.1: longer nonces MUST be refused. */
export const MAX_OCSP_NONCE_BYTES = 32;

const HASHES: ReadonlyMap<string, 'sha1' | 'sha256'> = new Map([
  ['1.3.14.3.2.26', 'sha1'],
  ['2.16.840.1.101.3.4.2.1', 'sha256'],
]);

export interface OcspCertId {
  /** `sha1` or `sha256`, else the hash algorithm's dotted OID (which no issuer here can match). */
  readonly hashAlgorithm: string;
  readonly issuerNameHash: Uint8Array;
  readonly issuerKeyHash: Uint8Array;
  /** Lowercase hex of the serial's content octets without the sign-padding 00 (serial.ts, wire form). */
  readonly serialHex: string;
  /** DER of the CertID as received: the response repeats it byte for byte (§4.2.1). */
  readonly der: Uint8Array;
}

export interface ParsedOcspRequest {
  readonly certIds: readonly OcspCertId[];
  /** The nonce's value (the OCTET STRING inside the extension), when the request has one. */
  readonly nonce?: Uint8Array;
  /** The nonce extension's extnValue as received, for the response to echo (RFC 8954 §2.1). */
  readonly nonceExtnValue?: Uint8Array;
}

export function parseOcspRequest(der: Uint8Array): ParsedOcspRequest {
  if (der.byteLength === 0) throw invalid('empty OCSP request');
  if (der.byteLength > MAX_OCSP_REQUEST_BYTES)
    throw invalid(`OCSP request larger than ${MAX_OCSP_REQUEST_BYTES} bytes`);
  if (!isSingleDerSequence(der)) throw invalid('not exactly one DER OCSPRequest');
  let request: OCSPRequest;
  try {
    request = AsnConvert.parse(der, OCSPRequest);
  } catch {
    throw invalid('not a parseable OCSPRequest');
  }
  const tbs = request.tbsRequest;
  const version: number = tbs.version; // typed as the one known value, v1 (0)
  if (version !== 0) throw invalid(`unknown OCSP request version ${version}`);
  if (tbs.requestList.length === 0) throw invalid('the OCSP request asks about no certificate');
  if (tbs.requestList.length > MAX_OCSP_CERT_IDS) throw invalid(`more than ${MAX_OCSP_CERT_IDS} certificates asked`);
  const certIds = tbs.requestList.map((single) => {
    checkExtensions(single.singleRequestExtensions ?? [], new Set());
    return readCertId(single.reqCert);
  });
  const extensions = tbs.requestExtensions ?? [];
  checkExtensions(extensions, new Set([id_pkix_ocsp_nonce]));
  const nonceExtension = extensions.find((extension) => extension.extnID === id_pkix_ocsp_nonce);
  if (nonceExtension === undefined) return { certIds };
  const nonceExtnValue = new Uint8Array(nonceExtension.extnValue.buffer);
  const nonce = readNonce(nonceExtnValue);
  if (nonce.byteLength === 0 || nonce.byteLength > MAX_OCSP_NONCE_BYTES) {
    throw invalid(`nonce of ${nonce.byteLength} octets (1 to ${MAX_OCSP_NONCE_BYTES})`);
  }
  return { certIds, nonce, nonceExtnValue };
}

function readCertId(certId: CertID): OcspCertId {
  const oid = certId.hashAlgorithm.algorithm;
  return {
    hashAlgorithm: HASHES.get(oid) ?? oid,
    issuerNameHash: new Uint8Array(certId.issuerNameHash.buffer),
    issuerKeyHash: new Uint8Array(certId.issuerKeyHash.buffer),
    serialHex: serialFromBytes(certId.serialNumber),
    der: new Uint8Array(AsnConvert.serialize(certId)),
  };
}

function checkExtensions(extensions: readonly Extension[], known: ReadonlySet<string>): void {
  const seen = new Set<string>();
  for (const extension of extensions) {
    if (seen.has(extension.extnID)) throw invalid(`extension ${extension.extnID} appears twice`);
    seen.add(extension.extnID);
    if (extension.critical && !known.has(extension.extnID)) {
      throw invalid(`unknown critical extension ${extension.extnID}`);
    }
  }
}

/**
 * Nonce ::= OCTET STRING, DER-encoded inside extnValue (RFC 8954 §2.1). Some clients put the bare bytes in
 * extnValue instead; then those bytes are the nonce.
 */
function readNonce(extnValue: Uint8Array): Uint8Array {
  if (extnValue[0] === 0x04 && isSingleOctetString(extnValue)) {
    return new Uint8Array(AsnConvert.parse(extnValue, OctetString).buffer);
  }
  return extnValue;
}

function isSingleOctetString(der: Uint8Array): boolean {
  const length = der[1];
  return length !== undefined && length < 0x80 && der.byteLength === 2 + length;
}

function invalid(reason: string): Error {
  return GW_ERR_REQUEST_INVALID.create(reason);
}
