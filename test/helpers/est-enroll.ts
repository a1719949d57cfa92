/**
 * A device's EST simpleenroll (RFC 7030 §4.2.1) against a gateway, as the EST tests make it: a base64 DER
 * CSR over TLS to `/.well-known/est/simpleenroll` for a host, optionally from a given loopback address, with
 * HTTP Basic credentials (a bootstrap secret) or a TLS client certificate (an IDevID). The reply's status,
 * Retry-After and the error's code and message when the answer is JSON.
 */
import https from 'node:https';
import type { AdminServer } from './admin-server.ts';
import { edgeCaPem } from './gateway-pki.ts';
import type { OpensslWorkdir } from './openssl.ts';

export interface EnrollReply {
  status: number;
  retryAfter: string | undefined;
  code: string | undefined;
  /** The error's message, or the body when it is not a JSON error. */
  message: string;
}

export interface EnrollRequest {
  readonly gateway: AdminServer;
  readonly host: string;
  readonly csrBase64: string;
  /** The local address to connect from (a loopback address: limits count per client address). */
  readonly from?: string;
  /** HTTP Basic `user:password` (a bootstrap secret's `id:secret`). */
  readonly credentials?: string;
  /** A TLS client certificate (the device's IDevID). */
  readonly clientCertificate?: { readonly certPem: string; readonly keyPem: string };
}

export function simpleEnroll(request: EnrollRequest): Promise<EnrollReply> {
  const { gateway, host, credentials, clientCertificate } = request;
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: gateway.gatewayPort,
        ...(request.from === undefined ? {} : { localAddress: request.from }),
        servername: host,
        ca: edgeCaPem(gateway),
        ...(clientCertificate === undefined ? {} : { cert: clientCertificate.certPem, key: clientCertificate.keyPem }),
        agent: false,
        method: 'POST',
        path: '/.well-known/est/simpleenroll',
        headers: {
          host,
          'content-type': 'application/pkcs10',
          ...(credentials === undefined
            ? {}
            : { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let error: { code?: string; message?: string } | undefined;
          try {
            error = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
          } catch {
            error = undefined;
          }
          const retryAfter = res.headers['retry-after'];
          resolve({ status: res.statusCode ?? 0, retryAfter, code: error?.code, message: error?.message ?? text });
        });
      },
    );
    req.on('error', reject);
    req.end(request.csrBase64);
  });
}

/** A new P-256 device key (`device.key` in the work dir) and its CSR for /CN=device, as base64 DER. */
export function deviceCsrBase64(openssl: OpensslWorkdir): string {
  openssl.run(
    ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'].concat([
      '-keyout',
      'device.key',
      '-subj',
      '/CN=device',
      '-outform',
      'DER',
      '-out',
      'device.der',
    ]),
  );
  return openssl.readBytes('device.der').toString('base64');
}
