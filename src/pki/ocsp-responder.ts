/**
 * buildOcspResponse: the managed CA's OCSP responder (RFC 6960), one request DER in, one response DER out.
 *
 * - The CA signs its own responses (§4.2.2.2, "the CA who issued the certificate"), so no delegated responder
 *   certificate is needed and `certs` is omitted; responderID is byKey, the SHA-1 of the CA's key (§4.2.1).
 * - Each CertID is answered with the CertID as asked (§4.2.1). Its issuerNameHash and issuerKeyHash must be
 *   the CA's, with SHA-1 or SHA-256 (the hashes OpenSSL and browsers send); any other CertID gets `unknown`
 *   (§2.2): this responder knows nothing about another issuer's certificates.
 * - For the CA's own certificates, `lookup(serialHex)` decides good / revoked (with the revocation time) /
 *   unknown. thisUpdate is `now`, nextUpdate as given (§2.4), producedAt is `now`; all whole seconds.
 * - A nonce in the request is echoed in responseExtensions (RFC 8954 §2.1), so a client can tell the answer
 *   is fresh.
 * - It never throws: a malformed request gets a `malformedRequest` response and a failing lookup or unusable CA
 *   key an `internalError` one (§2.3), both unsigned as the RFC has them.
 */
import { createHash } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  BasicOCSPResponse,
  CertID,
  CertStatus,
  KeyHash,
  OCSPResponse,
  OCSPResponseStatus,
  ResponderID,
  ResponseBytes,
  ResponseData,
  RevokedInfo,
  SingleResponse,
  id_pkix_ocsp_basic,
  id_pkix_ocsp_nonce,
} from '@peculiar/asn1-ocsp';
import { Extension } from '@peculiar/asn1-x509';
import { loadCaSigner, type CaKeyPair, type CaSigner } from './ca-signer.ts';
import { keyIdentifier } from './key-identifier.ts';
import { parseOcspRequest, type OcspCertId, type ParsedOcspRequest } from './ocsp-request.ts';

export { parseOcspRequest, type OcspCertId, type ParsedOcspRequest } from './ocsp-request.ts';

export type OcspCertificateStatus =
  | { readonly status: 'good' }
  | { readonly status: 'revoked'; readonly revokedAt: Date }
  | { readonly status: 'unknown' };

export interface BuildOcspResponseOptions {
  readonly ca: CaKeyPair;
  readonly requestDer: Uint8Array;
  /** Status of one of the CA's certificates by serial (lowercase hex, no sign-padding 00: serial.ts, wire form). */
  readonly lookup: (serialHex: string) => OcspCertificateStatus | Promise<OcspCertificateStatus>;
  /** Default the current time. */
  readonly now?: Date;
  /** When newer status will be available at the latest; omitted from the response when undefined. */
  readonly nextUpdate?: Date;
}

export async function buildOcspResponse(options: BuildOcspResponseOptions): Promise<Uint8Array> {
  let request: ParsedOcspRequest;
  try {
    request = parseOcspRequest(options.requestDer);
  } catch {
    return unsignedResponse(OCSPResponseStatus.malformedRequest);
  }
  try {
    const signer = loadCaSigner(options.ca, []);
    const now = wholeSeconds(options.now ?? new Date());
    const nextUpdate = options.nextUpdate === undefined ? undefined : wholeSeconds(options.nextUpdate);
    const responses: SingleResponse[] = [];
    for (const certId of request.certIds) {
      const status = issuedBy(certId, signer) ? await options.lookup(certId.serialHex) : { status: 'unknown' as const };
      responses.push(
        new SingleResponse({
          certID: AsnConvert.parse(certId.der, CertID),
          certStatus: certStatus(status),
          thisUpdate: now,
          ...(nextUpdate === undefined ? {} : { nextUpdate }),
        }),
      );
    }
    return signedResponse(signer, responses, now, request.nonceExtnValue);
  } catch {
    return unsignedResponse(OCSPResponseStatus.internalError);
  }
}

/** True when the CertID names this CA by the hash of its subject and of its key (§4.1.1). */
function issuedBy(certId: OcspCertId, signer: CaSigner): boolean {
  if (certId.hashAlgorithm !== 'sha1' && certId.hashAlgorithm !== 'sha256') return false;
  const nameHash = createHash(certId.hashAlgorithm).update(new Uint8Array(AsnConvert.serialize(signer.subject)));
  return (
    Buffer.from(certId.issuerNameHash).equals(nameHash.digest()) &&
    Buffer.from(certId.issuerKeyHash).equals(keyIdentifier(signer.spki, certId.hashAlgorithm))
  );
}

function certStatus(status: OcspCertificateStatus): CertStatus {
  switch (status.status) {
    case 'good':
      return new CertStatus({ good: null });
    case 'revoked':
      return new CertStatus({ revoked: new RevokedInfo({ revocationTime: wholeSeconds(status.revokedAt) }) });
    default:
      return new CertStatus({ unknown: null });
  }
}

function signedResponse(
  signer: CaSigner,
  responses: SingleResponse[],
  producedAt: Date,
  nonceExtnValue: Uint8Array | undefined,
): Uint8Array {
  const tbsResponseData = new ResponseData({
    responderID: new ResponderID({ byKey: new KeyHash(keyIdentifier(signer.spki)) }),
    producedAt,
    responses,
  });
  if (nonceExtnValue !== undefined) {
    tbsResponseData.responseExtensions = [
      new Extension({ extnID: id_pkix_ocsp_nonce, critical: false, extnValue: new OctetString(nonceExtnValue) }),
    ];
  }
  const signature = signer.sign(AsnConvert.serialize(tbsResponseData));
  const basic = new BasicOCSPResponse({ tbsResponseData, signatureAlgorithm: signer.signatureAlgorithm, signature });
  return encode(
    new OCSPResponse({
      responseStatus: OCSPResponseStatus.successful,
      responseBytes: new ResponseBytes({
        responseType: id_pkix_ocsp_basic,
        response: new OctetString(AsnConvert.serialize(basic)),
      }),
    }),
  );
}

function unsignedResponse(status: OCSPResponseStatus): Uint8Array {
  return encode(new OCSPResponse({ responseStatus: status }));
}

function encode(response: OCSPResponse): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(response));
}

function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}
