/**
 * Role rules: a client's leaf must be an end entity, and the CAs above it must say they are CAs.
 *
 * - `leaf-is-ca`: basicConstraints cA=TRUE on the leaf. Node's `X509Certificate.ca` (X509_check_ca) is false for
 *   a cA=TRUE certificate whose keyUsage lacks keyCertSign, so the flag is read from the extension here.
 * - `leaf-key-cert-sign`: keyCertSign on the leaf (RFC 5280 §4.2.1.9: "If the cA boolean is not asserted, then
 *   the keyCertSign bit in the key usage extension MUST NOT be asserted").
 * - `leaf-name-constraints`: nameConstraints on the leaf (§4.2.1.10: "MUST be used only in a CA certificate").
 * - `ca-basic-constraints-missing`: an intermediate or trust anchor without basicConstraints cA=TRUE. OpenSSL
 *   accepts a v3 CA with keyUsage keyCertSign and no basicConstraints; §4.2.1.9 says such a key "MUST NOT be
 *   used to verify certificate signatures".
 * - `root-basic-constraints-not-critical` (not applied under `legacy` compatibility): the trust anchor's
 *   basicConstraints must be critical (§4.2.1.9: CAs "MUST mark the extension as critical").
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  BasicConstraints,
  KeyUsage,
  KeyUsageFlags,
  id_ce_basicConstraints,
  id_ce_keyUsage,
  id_ce_nameConstraints,
} from '@peculiar/asn1-x509';
import { extensionOf, valueOf, type ChainCertificate } from './chain-certificate.ts';
import { violation, type ChainViolation } from './chain-violation.ts';

export function leafRoleViolation(leaf: ChainCertificate): ChainViolation | undefined {
  if (basicConstraintsOf(leaf)?.cA === true) {
    return violation('leaf-is-ca', 'the leaf has basicConstraints cA=TRUE: a CA certificate is not a client identity');
  }
  const keyUsage = extensionOf(leaf, id_ce_keyUsage);
  if (keyUsage !== undefined) {
    const usages = AsnConvert.parse(valueOf(keyUsage), KeyUsage).toNumber();
    if ((usages & KeyUsageFlags.keyCertSign) !== 0) {
      return violation('leaf-key-cert-sign', 'the leaf has keyUsage keyCertSign (RFC 5280 §4.2.1.9)');
    }
  }
  if (extensionOf(leaf, id_ce_nameConstraints) !== undefined) {
    return violation('leaf-name-constraints', 'the leaf has a nameConstraints extension (RFC 5280 §4.2.1.10)');
  }
  return undefined;
}

export function caRoleViolation(ca: ChainCertificate): ChainViolation | undefined {
  if (basicConstraintsOf(ca)?.cA !== true) {
    return violation('ca-basic-constraints-missing', 'a CA without basicConstraints cA=TRUE (RFC 5280 §4.2.1.9)');
  }
  return undefined;
}

export function rootBasicConstraintsViolation(anchor: ChainCertificate): ChainViolation | undefined {
  const extension = extensionOf(anchor, id_ce_basicConstraints);
  if (extension !== undefined && !extension.critical) {
    return violation(
      'root-basic-constraints-not-critical',
      'the root CA basicConstraints is not critical (RFC 5280 §4.2.1.9; `legacy` compatibility accepts it)',
    );
  }
  return undefined;
}

function basicConstraintsOf(certificate: ChainCertificate): BasicConstraints | undefined {
  const extension = extensionOf(certificate, id_ce_basicConstraints);
  return extension === undefined ? undefined : AsnConvert.parse(valueOf(extension), BasicConstraints);
}
