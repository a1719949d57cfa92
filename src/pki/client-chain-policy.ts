/**
 * The client-chain policy: what the gateway requires of a client's certification path beyond what OpenSSL
 * verifies at the handshake (docs/adr/0008). OpenSSL, with the flags a Node TLS server runs it with, checks
 * signatures, validity, basic path rules and purpose; it lets through weak keys, malformed and duplicate
 * extensions, RFC 5280 profile violations and several name constraint cases. Each rule is a pure function in
 * its own chain-rule-*.ts file; this module runs them in order over one path and returns the first violation as
 * a value. It never throws: a certificate it cannot read is itself a violation.
 *
 *   every certificate   extensions (duplicate, unknown critical, malformed SAN/AIA), serial, key
 *   the leaf            not a CA, no keyCertSign, no nameConstraints
 *   every CA above it   basicConstraints cA=TRUE
 *   the whole path      name constraints well-formed and obeyed
 *   strict only         key identifiers present, the root's basicConstraints critical
 *
 * `legacy` compatibility (a switch on an uploaded CA, or `proxy --client-ca-compatibility`) skips only the
 * strict-only rules (chain-violation.ts LEGACY_RELAXED_RULES).
 */
import { Version } from '@peculiar/asn1-x509';
import { parseChainCertificate, extensionOf, valueOf, type ChainCertificate } from './chain-certificate.ts';
import { violation, type ChainCompatibility, type ChainViolation, type PathPosition } from './chain-violation.ts';
import { extensionsViolation } from './chain-rule-extensions.ts';
import { serialViolation } from './chain-rule-serial.ts';
import { keyViolation } from './chain-rule-key.ts';
import { caRoleViolation, leafRoleViolation, rootBasicConstraintsViolation } from './chain-rule-roles.ts';
import { keyIdentifierViolation } from './chain-rule-key-identifiers.ts';
import { nameConstraintsViolation, readConstraints } from './chain-rule-name-constraints.ts';

export type { ChainCompatibility, ChainRule, ChainViolation } from './chain-violation.ts';
export { CHAIN_COMPATIBILITIES, LEGACY_RELAXED_RULES } from './chain-violation.ts';

export interface ClientChainInput {
  /** DER of the client's certificate. */
  readonly leaf: Uint8Array;
  /** DER of the CAs between the leaf and the trust anchor, the leaf's issuer first. */
  readonly intermediates: readonly Uint8Array[];
  /** DER of the trusted (uploaded or configured) CA the path ends at. */
  readonly anchor: Uint8Array;
  /** The compatibility of the trust anchor. */
  readonly compatibility: ChainCompatibility;
}

/** Rules that every certificate of a path (and every uploaded CA) must meet. */
const PER_CERTIFICATE = [extensionsViolation, serialViolation, keyViolation];

/** The first rule the path breaks, or undefined when it meets them all. Never throws. */
export function checkClientChain(input: ClientChainInput): ChainViolation | undefined {
  try {
    return firstViolation(input);
  } catch {
    return violation('unparsable-certificate', 'a certificate of the path could not be checked');
  }
}

function firstViolation(input: ClientChainInput): ChainViolation | undefined {
  const ders = [input.leaf, ...input.intermediates];
  // The leaf as its own trust anchor (a pinned certificate) is a path of one certificate.
  if (input.intermediates.length > 0 || !Buffer.from(input.anchor).equals(Buffer.from(input.leaf))) {
    ders.push(input.anchor);
  }
  const last = ders.length - 1;
  const labelOf = (index: number): string =>
    index === 0 ? 'the leaf' : index === last ? 'the trust anchor' : `intermediate ${index}`;
  const positionOf = (index: number): PathPosition =>
    index === 0 ? 'leaf' : index === last ? 'anchor' : 'intermediate';
  const path: ChainCertificate[] = [];
  for (const [index, der] of ders.entries()) {
    // Certificates above the leaf are shared by many clients: their parse is memoised.
    const certificate = parseChainCertificate(der, index > 0);
    if (certificate === undefined) {
      return violation('unparsable-certificate', `${labelOf(index)}: not exactly one parseable X.509 certificate`);
    }
    path.push(certificate);
  }
  const at = (index: number, found: ChainViolation | undefined): ChainViolation | undefined =>
    found === undefined ? undefined : violation(found.rule, `${labelOf(index)}: ${found.detail}`);
  for (const [index, certificate] of path.entries()) {
    for (const rule of PER_CERTIFICATE) {
      const found = at(index, rule(certificate));
      if (found !== undefined) return found;
    }
  }
  const [leaf] = path;
  if (leaf === undefined) return violation('unparsable-certificate', 'an empty path');
  const leafFound = at(0, leafRoleViolation(leaf));
  if (leafFound !== undefined) return leafFound;
  for (let index = last === 0 ? 0 : 1; index <= last; index++) {
    const certificate = path[index];
    const found = certificate === undefined ? undefined : at(index, caRoleViolation(certificate));
    if (found !== undefined) return found;
  }
  const names = nameConstraintsViolation(path, labelOf);
  if (names !== undefined) return names;
  if (input.compatibility === 'legacy') return undefined;
  for (const [index, certificate] of path.entries()) {
    const found = at(index, keyIdentifierViolation(certificate, positionOf(index)));
    if (found !== undefined) return found;
  }
  const anchor = path[last];
  return anchor === undefined ? undefined : at(last, rootBasicConstraintsViolation(anchor));
}

/**
 * The rules an uploaded or configured CA certificate must meet on its own, before any client chains to it:
 * every per-certificate rule, well-formed name constraints and, under `strict`, key identifiers and (for a
 * root) a critical basicConstraints. A certificate that does not parse, is not version 3 or is not a CA
 * (basicConstraints cA=TRUE) is left to the caller's own checks, which say what it is instead (undefined).
 * Never throws.
 */
export function checkCaCertificate(
  der: Uint8Array,
  compatibility: ChainCompatibility,
  /** Default: a root when self-issued. */
  role?: 'root' | 'intermediate',
): ChainViolation | undefined {
  try {
    const certificate = parseChainCertificate(der);
    if (certificate === undefined || certificate.asn.tbsCertificate.version !== Version.v3) return undefined;
    if (caRoleViolation(certificate) !== undefined) return undefined;
    const position =
      (role ?? (certificate.selfIssued ? 'root' : 'intermediate')) === 'root' ? 'anchor' : 'intermediate';
    for (const rule of PER_CERTIFICATE) {
      const found = rule(certificate);
      if (found !== undefined) return found;
    }
    const constraints = extensionOf(certificate, '2.5.29.30');
    if (constraints !== undefined) {
      const read = readConstraints(valueOf(constraints));
      if ('rule' in read) return read;
    }
    if (compatibility === 'legacy') return undefined;
    return (
      keyIdentifierViolation(certificate, position) ??
      (position === 'anchor' ? rootBasicConstraintsViolation(certificate) : undefined)
    );
  } catch {
    return undefined;
  }
}
