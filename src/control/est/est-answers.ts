/** The bodies EST answers with (RFC 7030 §4.1.3, §4.2.3, §4.5.2; RFC 8951: base64, no Content-Transfer-Encoding). */
import { encodeBase64Body } from '../../est/est-body.ts';
import { certsOnlyPkcs7 } from '../../est/pkcs7-certs-only.ts';
import type { EstAnswer } from '../../runtime-config/est-endpoint.ts';

export const CERTS_ONLY = 'application/pkcs7-mime; smime-type=certs-only';

export function certsOnlyAnswer(certificates: readonly Uint8Array[]): EstAnswer {
  return { status: 200, contentType: CERTS_ONLY, body: encodeBase64Body(certsOnlyPkcs7(certificates)) };
}

/** RFC 7030 §4.2.3: the request was accepted for manual approval; the client retries after this many seconds. */
export function pendingAnswer(retryAfterSeconds: number): EstAnswer {
  return {
    status: 202,
    contentType: 'text/plain; charset=utf-8',
    body: 'The enrollment request waits for approval by the operator; retry later.\n',
    headers: { 'retry-after': String(retryAfterSeconds) },
  };
}
