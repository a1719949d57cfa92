/**
 * A device's bootstrap certificate (its manufacturer-installed IDevID, IEEE 802.1AR) checked against
 * the manufacturer CAs a profile names: the certificate, through what the device sent after it (at
 * most a few intermediates), must be signed by one of those CA certificates and every certificate
 * must be within its validity period. Which anchor and which issuer it found are returned, for the
 * revocation of the uploaded CA to be applied to the leaf (bootstrap-revocation.ts).
 */
import { X509Certificate } from 'node:crypto';

const MAX_INTERMEDIATES = 4;

function validAt(certificate: X509Certificate, nowMs: number): boolean {
  return nowMs >= Date.parse(certificate.validFrom) && nowMs < Date.parse(certificate.validTo);
}

function signedBy(child: X509Certificate, parent: X509Certificate): boolean {
  try {
    return child.checkIssued(parent) && child.verify(parent.publicKey);
  } catch {
    return false;
  }
}

export interface BootstrapChain<A> {
  /** The anchor the chain ends at, as the caller gave it. */
  readonly anchor: A;
  /** The certificate that signed the leaf: the first intermediate, or the anchor's certificate. */
  readonly issuer: X509Certificate;
}

/** How `leaf` chains to one of `anchors`, through `sent` (what the client sent after its leaf); undefined: it does not. */
export function chainToAnchor<A extends { readonly certificate: X509Certificate }>(
  leaf: X509Certificate,
  sent: readonly X509Certificate[],
  anchors: readonly A[],
  nowMs: number,
): BootstrapChain<A> | undefined {
  let current = leaf;
  let issuer: X509Certificate | undefined;
  for (let depth = 0; depth <= MAX_INTERMEDIATES; depth += 1) {
    if (!validAt(current, nowMs)) return undefined;
    const anchor = anchors.find((candidate) => signedBy(current, candidate.certificate));
    if (anchor !== undefined) {
      return validAt(anchor.certificate, nowMs) ? { anchor, issuer: issuer ?? anchor.certificate } : undefined;
    }
    const next = sent.find((candidate) => candidate !== current && candidate.ca && signedBy(current, candidate));
    if (next === undefined) return undefined;
    issuer ??= next;
    current = next;
  }
  return undefined;
}
