/**
 * What the client-chain policy (client-chain-policy.ts) reports: the first rule a certification path breaks, as a
 * value. `rule` is stable (logs, metrics, the upload error codes of chain-rule-errors.ts); `detail` says where and
 * what, for the log only: it names a position in the path and certificate facts, never a key or a whole name.
 */

/** Which CA compatibility the path's trust anchor was uploaded (or configured) with; see docs/adr/0008. */
export type ChainCompatibility = 'strict' | 'legacy';

export const CHAIN_COMPATIBILITIES: readonly ChainCompatibility[] = ['strict', 'legacy'];

export type ChainRule =
  /** No path from the leaf to a trusted root could be rebuilt (certification-path.ts) after OpenSSL found one. */
  | 'no-certification-path'
  | 'unparsable-certificate'
  | 'duplicate-extension'
  | 'unknown-critical-extension'
  | 'malformed-subject-alt-name'
  | 'malformed-authority-info-access'
  | 'serial-zero'
  | 'serial-negative'
  | 'serial-too-long'
  | 'weak-rsa-key'
  | 'rsa-modulus-not-multiple-of-8'
  | 'dsa-key'
  | 'weak-ec-curve'
  | 'unsupported-key-algorithm'
  | 'leaf-is-ca'
  | 'leaf-key-cert-sign'
  | 'leaf-name-constraints'
  | 'ca-basic-constraints-missing'
  | 'name-constraints-empty'
  | 'name-constraints-malformed'
  | 'name-constraints-violated'
  | 'root-basic-constraints-not-critical'
  | 'missing-subject-key-identifier'
  | 'missing-authority-key-identifier';

export interface ChainViolation {
  readonly rule: ChainRule;
  readonly detail: string;
}

/**
 * The rules `legacy` compatibility does not apply: key identifiers (RFC 5280 §4.2.1.1–2) and a root's critical
 * basicConstraints (§4.2.1.9), which old private CAs often lack without being any less sound. Nothing else is
 * relaxed.
 */
export const LEGACY_RELAXED_RULES: ReadonlySet<ChainRule> = new Set<ChainRule>([
  'missing-subject-key-identifier',
  'missing-authority-key-identifier',
  'root-basic-constraints-not-critical',
]);

/** Where a certificate sits in the path: the leaf, a CA between it and the anchor, or the trust anchor. */
export type PathPosition = 'leaf' | 'intermediate' | 'anchor';

export function violation(rule: ChainRule, detail: string): ChainViolation {
  return { rule, detail };
}
