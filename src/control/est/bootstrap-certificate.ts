/**
 * A device's bootstrap certificate (its manufacturer-installed IDevID, IEEE 802.1AR) checked against
 * the manufacturer CAs a profile names: the certificate, through what the device sent after it (at
 * most a few intermediates), must be signed by one of those CA certificates and every certificate
 * must be within its validity period. Revocation of IDevIDs is not checked (manufacturers rarely
 * publish it; docs/adr/0016): revoke trust by removing the CA from the profile.
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

/** Whether `leaf` chains to one of `anchors`, through `sent` (what the client sent after its leaf). */
export function chainsToAnchor(
  leaf: X509Certificate,
  sent: readonly X509Certificate[],
  anchors: readonly X509Certificate[],
  nowMs: number,
): boolean {
  let current = leaf;
  for (let depth = 0; depth <= MAX_INTERMEDIATES; depth += 1) {
    if (!validAt(current, nowMs)) return false;
    const anchor = anchors.find((candidate) => signedBy(current, candidate));
    if (anchor !== undefined) return validAt(anchor, nowMs);
    const next = sent.find((candidate) => candidate !== current && candidate.ca && signedBy(current, candidate));
    if (next === undefined) return false;
    current = next;
  }
  return false;
}
