/**
 * Public PKI endpoints on the gateway listener. They need no client certificate (a client checking
 * revocation must not need a valid certificate to do so; step-ca's "insecure" mux, aesthetics §7.1):
 *
 *   GET  /.well-known/portcullis/ca/{ca_id}.pem         the CA certificate, PEM (.crt: DER)
 *   GET  /.well-known/portcullis/crl/{ca_id}.crl        CRL, DER (application/pkix-crl)
 *   GET  /.well-known/portcullis/crl/{ca_id}.pem        CRL, PEM
 *   POST /.well-known/portcullis/ocsp/{ca_id}           OCSP, DER body (RFC 6960 Appendix A.1)
 *   GET  /.well-known/portcullis/ocsp/{ca_id}/{base64}  OCSP, base64 (URL-encoded) request in the path
 */
import type { PublicPki } from '../../runtime-config/public-pki.ts';
import { GW_ERR_METHOD_NOT_ALLOWED, GW_ERR_REQUEST_INVALID, GW_ERR_ROUTE_NOT_FOUND } from '../../errors/index.ts';
import type { PublicError } from '../pipeline/gateway-response.ts';

export const PUBLIC_PKI_PREFIX = '/.well-known/portcullis/';
/** OCSP requests are a few hundred bytes; anything much larger is not one. */
const MAX_OCSP_REQUEST_BYTES = 8 * 1024;
const CA_PATH = /^\/\.well-known\/portcullis\/ca\/([0-9a-f-]{36})\.(pem|crt)$/;
const CRL_PATH = /^\/\.well-known\/portcullis\/crl\/([0-9a-f-]{36})\.(crl|pem)$/;
const OCSP_PATH = /^\/\.well-known\/portcullis\/ocsp\/([0-9a-f-]{36})(?:\/(.+))?$/;

export interface PkiAnswer {
  status: number;
  contentType: string;
  body: Buffer | string;
}

export type PkiResult = PkiAnswer | PublicError;

export function isPublicPkiPath(path: string): boolean {
  return path.startsWith(PUBLIC_PKI_PREFIX);
}

/** `readBody` is only called for OCSP POST, bounded to MAX_OCSP_REQUEST_BYTES. */
export async function answerPublicPki(
  pki: PublicPki,
  method: string,
  rawPath: string,
  readBody: (limit: number) => Promise<Buffer | undefined>,
): Promise<PkiResult> {
  const path = rawPath.split('?', 1)[0] ?? '';
  const ca = CA_PATH.exec(path);
  if (ca !== null) {
    if (method !== 'GET' && method !== 'HEAD') return GW_ERR_METHOD_NOT_ALLOWED;
    const entry = pki.get(ca[1] ?? '');
    if (entry === undefined) return GW_ERR_ROUTE_NOT_FOUND;
    if (ca[2] === 'pem') return { status: 200, contentType: 'application/x-pem-file', body: entry.caPem };
    const der = Buffer.from(entry.caPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    return { status: 200, contentType: 'application/pkix-cert', body: der };
  }
  const crl = CRL_PATH.exec(path);
  if (crl !== null) {
    if (method !== 'GET' && method !== 'HEAD') return GW_ERR_METHOD_NOT_ALLOWED;
    const entry = pki.get(crl[1] ?? '');
    if (entry === undefined) return GW_ERR_ROUTE_NOT_FOUND;
    if (crl[2] === 'pem') {
      const base64 = entry.crlDer.toString('base64').replace(/.{64}/g, '$&\n');
      return {
        status: 200,
        contentType: 'application/x-pem-file',
        body: `-----BEGIN X509 CRL-----\n${base64.trimEnd()}\n-----END X509 CRL-----\n`,
      };
    }
    return { status: 200, contentType: 'application/pkix-crl', body: entry.crlDer };
  }
  const ocsp = OCSP_PATH.exec(path);
  if (ocsp === null) return GW_ERR_ROUTE_NOT_FOUND;
  const entry = pki.get(ocsp[1] ?? '');
  if (entry === undefined) return GW_ERR_ROUTE_NOT_FOUND;
  let requestDer: Buffer | undefined;
  if (method === 'POST' && ocsp[2] === undefined) {
    requestDer = await readBody(MAX_OCSP_REQUEST_BYTES);
  } else if (method === 'GET' && ocsp[2] !== undefined) {
    const encoded = ocsp[2];
    if (encoded.length > MAX_OCSP_REQUEST_BYTES * 2) return GW_ERR_REQUEST_INVALID.create('OCSP request too large');
    try {
      requestDer = Buffer.from(decodeURIComponent(encoded), 'base64');
    } catch {
      return GW_ERR_REQUEST_INVALID.create('OCSP request is not URL-encoded base64');
    }
  } else {
    return GW_ERR_METHOD_NOT_ALLOWED;
  }
  if (requestDer === undefined) return GW_ERR_REQUEST_INVALID.create('OCSP request too large');
  return { status: 200, contentType: 'application/ocsp-response', body: await entry.respondOcsp(requestDer) };
}
