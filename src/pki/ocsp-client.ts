/**
 * The OCSP client side (RFC 6960): the question about one certificate, and the checks an answer
 * must pass before the gateway believes it. Pure: DER in, DER or a verdict out; the HTTP exchange
 * is the caller's (control/revocation/ocsp-status-checker.ts).
 *
 * Question: one CertID with SHA-1 hashes of the issuer's name and key (§4.1.1; RFC 5019 §2.1.1: the
 * hash every responder matches), optionally a nonce (RFC 8954: 1–32 octets).
 *
 * An answer is used only when (anything else throws, and the caller treats the status as unknown):
 *   - responseStatus is successful and the response is a BasicOCSPResponse (§4.2.1);
 *   - it is signed by the issuing CA itself, or by a delegated responder named in responderID whose
 *     certificate (in `certs`) the CA issued and signed, with id-kp-OCSPSigning and valid now
 *     (§4.2.2.2); with SHA-256 or stronger (SHA-1 is refused, as everywhere in the gateway);
 *   - one of its SingleResponses is about exactly our CertID;
 *   - thisUpdate is not in the future and nextUpdate, when present, has not passed (§4.2.2.1,
 *     with the clock skew allowed for CRLs);
 *   - with a nonce asked, the same nonce is echoed (RFC 8954 §2.1).
 */
import { createHash, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  BasicOCSPResponse,
  CertID,
  OCSPRequest,
  OCSPResponse,
  OCSPResponseStatus,
  Request,
  TBSRequest,
  id_kp_OCSPSigning,
  id_pkix_ocsp_basic,
  id_pkix_ocsp_nonce,
  type SingleResponse,
} from '@peculiar/asn1-ocsp';
import { AlgorithmIdentifier, Certificate, Extension } from '@peculiar/asn1-x509';
import { keyIdentifier } from './key-identifier.ts';

/** Larger answers are not read (a responder answering one CertID sends a few KiB at most). */
export const MAX_OCSP_RESPONSE_BYTES = 64 * 1024;
/** An answer made a little ahead of our clock is still believed. */
export const OCSP_CLOCK_SKEW_MS = 5 * 60_000;

const SHA1 = '1.3.14.3.2.26';
/** Signature algorithms accepted on an answer → the hash node:crypto verifies with (null: Ed25519). */
const SIGNATURE_HASHES: ReadonlyMap<string, string | null> = new Map([
  ['1.2.840.10045.4.3.2', 'sha256'],
  ['1.2.840.10045.4.3.3', 'sha384'],
  ['1.2.840.10045.4.3.4', 'sha512'],
  ['1.2.840.113549.1.1.11', 'sha256'],
  ['1.2.840.113549.1.1.12', 'sha384'],
  ['1.2.840.113549.1.1.13', 'sha512'],
  ['1.3.101.112', null],
]);

export interface OcspQuery {
  /** DER of the OCSPRequest, to POST as application/ocsp-request (RFC 6960 §A.1). */
  readonly der: Uint8Array;
  readonly certId: CertID;
  readonly nonce: Uint8Array | undefined;
}

export type OcspStatusValue = 'good' | 'revoked' | 'unknown';

export interface OcspAnswer {
  readonly status: OcspStatusValue;
  readonly thisUpdate: Date;
  /** Undefined: the responder has newer information at any time (§4.2.2.1). */
  readonly nextUpdate: Date | undefined;
}

/** The question about `leaf`, issued by `issuer` (both DER). */
export function buildOcspQuery(leafDer: Uint8Array, issuerDer: Uint8Array, nonce?: Uint8Array): OcspQuery {
  const leaf = AsnConvert.parse(leafDer, Certificate);
  const issuer = AsnConvert.parse(issuerDer, Certificate).tbsCertificate;
  const certId = new CertID({
    hashAlgorithm: new AlgorithmIdentifier({ algorithm: SHA1, parameters: null }),
    issuerNameHash: new OctetString(sha1(AsnConvert.serialize(issuer.subject))),
    issuerKeyHash: new OctetString(keyIdentifier(new Uint8Array(AsnConvert.serialize(issuer.subjectPublicKeyInfo)))),
    serialNumber: leaf.tbsCertificate.serialNumber,
  });
  const tbsRequest = new TBSRequest({ requestList: [new Request({ reqCert: certId })] });
  if (nonce !== undefined) {
    if (nonce.byteLength < 1 || nonce.byteLength > 32) throw new Error('an OCSP nonce has 1 to 32 octets');
    tbsRequest.requestExtensions = [nonceExtension(nonce)];
  }
  const der = new Uint8Array(AsnConvert.serialize(new OCSPRequest({ tbsRequest })));
  return { der, certId, nonce };
}

/** Checks an answer to `query` (see the file comment); throws an Error saying why it is not used. */
export function readOcspAnswer(
  responseDer: Uint8Array,
  query: OcspQuery,
  issuerDer: Uint8Array,
  now: Date,
): OcspAnswer {
  if (responseDer.byteLength > MAX_OCSP_RESPONSE_BYTES) throw new Error('the OCSP response is too large');
  let response: OCSPResponse;
  try {
    response = AsnConvert.parse(responseDer, OCSPResponse);
  } catch {
    throw new Error('not a parseable OCSP response');
  }
  if (response.responseStatus !== OCSPResponseStatus.successful) {
    const name = (OCSPResponseStatus as Record<number, string | undefined>)[response.responseStatus];
    throw new Error(`the responder answered ${name ?? 'an unknown status'}`);
  }
  const bytes = response.responseBytes;
  if (bytes === undefined || bytes.responseType !== id_pkix_ocsp_basic) throw new Error('not a basic OCSP response');
  let basic: BasicOCSPResponse;
  try {
    basic = AsnConvert.parse(bytes.response, BasicOCSPResponse);
  } catch {
    throw new Error('not a parseable basic OCSP response');
  }
  const issuer = new X509Certificate(issuerDer);
  const signer = signerOf(basic, issuer, now);
  checkSignature(basic, signer);
  const single = basic.tbsResponseData.responses.find((candidate) => sameCertId(candidate.certID, query.certId));
  if (single === undefined) throw new Error('the answer is not about this certificate');
  checkTimes(single, now);
  if (query.nonce !== undefined) checkNonce(basic, query.nonce);
  return { status: statusOf(single), thisUpdate: single.thisUpdate, nextUpdate: single.nextUpdate };
}

/** The key that signed the answer: the CA's own, or an authorised responder's (§4.2.2.2). */
function signerOf(basic: BasicOCSPResponse, issuer: X509Certificate, now: Date): KeyObject {
  const responder = basic.tbsResponseData.responderID;
  if (namesCertificate(responder, issuer)) return issuer.publicKey;
  for (const certificate of basic.certs ?? []) {
    const delegate = new X509Certificate(Buffer.from(AsnConvert.serialize(certificate)));
    if (!namesCertificate(responder, delegate)) continue;
    if (!delegate.checkIssued(issuer) || !delegate.verify(issuer.publicKey)) {
      throw new Error('the responder certificate is not issued by the CA');
    }
    const usages = (delegate.keyUsage as string[] | undefined) ?? [];
    if (!usages.includes(id_kp_OCSPSigning)) throw new Error('the responder certificate lacks id-kp-OCSPSigning');
    const time = now.getTime();
    if (time < Date.parse(delegate.validFrom) || time >= Date.parse(delegate.validTo)) {
      throw new Error('the responder certificate is not valid now');
    }
    return delegate.publicKey;
  }
  throw new Error('the answer is signed neither by the CA nor by a responder it authorised');
}

function namesCertificate(
  responder: BasicOCSPResponse['tbsResponseData']['responderID'],
  certificate: X509Certificate,
): boolean {
  const tbs = AsnConvert.parse(certificate.raw, Certificate).tbsCertificate;
  if (responder.byKey !== undefined) {
    const spki = new Uint8Array(AsnConvert.serialize(tbs.subjectPublicKeyInfo));
    return Buffer.from(responder.byKey.buffer).equals(keyIdentifier(spki));
  }
  if (responder.byName !== undefined) {
    return Buffer.from(AsnConvert.serialize(responder.byName)).equals(Buffer.from(AsnConvert.serialize(tbs.subject)));
  }
  return false;
}

function checkSignature(basic: BasicOCSPResponse, key: KeyObject): void {
  const algorithm = basic.signatureAlgorithm.algorithm;
  const hash = SIGNATURE_HASHES.get(algorithm);
  if (hash === undefined) throw new Error(`the answer is signed with an algorithm not accepted here (${algorithm})`);
  // The bytes as received: re-encoding a BER answer would not give what was signed.
  const signed = basic.tbsResponseDataRaw ?? AsnConvert.serialize(basic.tbsResponseData);
  let valid: boolean;
  try {
    valid = verify(hash, new Uint8Array(signed), key, new Uint8Array(basic.signature));
  } catch {
    valid = false;
  }
  if (!valid) throw new Error('the signature of the answer does not verify');
}

function sameCertId(a: CertID, b: CertID): boolean {
  return (
    a.hashAlgorithm.algorithm === b.hashAlgorithm.algorithm &&
    equalBytes(a.issuerNameHash.buffer, b.issuerNameHash.buffer) &&
    equalBytes(a.issuerKeyHash.buffer, b.issuerKeyHash.buffer) &&
    equalBytes(a.serialNumber, b.serialNumber)
  );
}

function checkTimes(single: SingleResponse, now: Date): void {
  const time = now.getTime();
  if (single.thisUpdate.getTime() > time + OCSP_CLOCK_SKEW_MS) throw new Error('the answer is from the future');
  if (single.nextUpdate !== undefined && single.nextUpdate.getTime() <= time) {
    throw new Error('the answer is past its nextUpdate');
  }
}

function checkNonce(basic: BasicOCSPResponse, nonce: Uint8Array): void {
  const echoed = (basic.tbsResponseData.responseExtensions ?? []).find((e) => e.extnID === id_pkix_ocsp_nonce);
  if (echoed === undefined) throw new Error('the responder did not echo the nonce');
  const expected = AsnConvert.serialize(new OctetString(nonce));
  // Some responders echo the bare bytes instead of the DER OCTET STRING (RFC 8954 §2.1 allows reading both).
  if (!equalBytes(echoed.extnValue.buffer, expected) && !equalBytes(echoed.extnValue.buffer, nonce)) {
    throw new Error('the responder echoed another nonce');
  }
}

function statusOf(single: SingleResponse): OcspStatusValue {
  if (single.certStatus.revoked !== undefined) return 'revoked';
  if (single.certStatus.good !== undefined) return 'good';
  return 'unknown';
}

function nonceExtension(nonce: Uint8Array): Extension {
  return new Extension({
    extnID: id_pkix_ocsp_nonce,
    critical: false,
    extnValue: new OctetString(AsnConvert.serialize(new OctetString(nonce))),
  });
}

function sha1(data: ArrayBuffer): Uint8Array {
  return new Uint8Array(createHash('sha1').update(new Uint8Array(data)).digest());
}

function equalBytes(a: ArrayBuffer | Uint8Array, b: ArrayBuffer | Uint8Array): boolean {
  return Buffer.from(a instanceof Uint8Array ? a : new Uint8Array(a)).equals(
    Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)),
  );
}
