/**
 * Which refusals tell the client its mTLS status (mtls-status.ts; README 'What a refused client is told'): those of a hostname that asks
 * for a client certificate, for a certificate refusal or a custom rule's block. A hostname without mTLS says
 * nothing about certificates; a misdirected request (421) is about the hostname, not the certificate. The word
 * is all a client learns: never the verification detail (which CA, which chain rule, CRL or OCSP), which stays
 * in the log.
 */
import type { HostPolicy } from '../../runtime-config/gateway-snapshot.ts';
import type { PublicError } from './gateway-response.ts';
import type { HostDecision } from './host-decision.ts';
import type { MtlsStatus } from './mtls-status.ts';

/** The status to put in a block answer on this hostname, or undefined when it asks for no certificate. */
export function certificateStatusFor(
  policy: Pick<HostPolicy, 'clientAuth'>,
  decision: Pick<HostDecision, 'mtlsStatus'>,
): MtlsStatus | undefined {
  return policy.clientAuth === 'none' ? undefined : decision.mtlsStatus;
}

/** A certificate refusal with the status; other refusals (421, no policy) unchanged. */
export function withMtlsStatus(error: PublicError, decision: Pick<HostDecision, 'policy' | 'mtlsStatus'>): PublicError {
  if (decision.policy === undefined || decision.mtlsStatus === undefined) return error;
  if (certificateStatusFor(decision.policy, decision) === undefined) return error;
  return withStatus(error, decision.mtlsStatus);
}

/** Fields copied one by one: a GatewayError's message is not an enumerable property a spread would copy. */
export function withStatus(error: PublicError, mtlsStatus: MtlsStatus): PublicError {
  return { code: error.code, httpStatus: error.httpStatus, message: error.message, mtlsStatus };
}
